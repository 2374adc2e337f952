// How much a request body may hold.
// A 1,000-order batch is about 40 KB of JSON; 2 MiB leaves room without inviting abuse.
export const BODY_LIMIT = 2 * 1024 * 1024;
// Refused bodies up to this size are read and dropped first, so the client reads the 413 instead of a
// broken pipe; larger ones get the connection closed on them.
export const DRAIN_LIMIT = 16 * 1024 * 1024;
