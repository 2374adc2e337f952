// How much a request body may hold.
// A 1,000-order batch is about 40 KB of JSON; 2 MiB leaves room without inviting abuse.
export const BODY_LIMIT = 2 * 1024 * 1024;
// POST /v1/batches alone takes more: 16 MiB is about 300,000 orders with short IDs, 100,000 with the
// longest ones the payment script accepts.
export const BATCH_BODY_LIMIT = 16 * 1024 * 1024;
// Refused bodies up to this size are read and dropped first, so the client reads the 413 instead of a
// broken pipe; larger ones get the connection closed on them.
export const DRAIN_LIMIT = 2 * BATCH_BODY_LIMIT;
