// The key store's storage contract, met by the embedded SQLite file and by PostgreSQL. It only stores:
// every decision (who may claim, when a key ends) is made in transitions.ts and written here as a
// compare-and-set on the record's version, so both backends behave alike by construction.
import type { KeyFilter } from './record.js';
import type { KeyEvent, KeyRecord } from '../shared/schemas/keys.js';

/**
 * A notification in the outbox: one event for one target, or, with `target` empty, an event not yet fanned
 * out to the targets that want it (the dispatcher does that, so the writers of events need no config).
 */
export interface Notice {
  /** The event's ID, which is also the delivery ID a receiver dedupes on. */
  id: string;
  target: string;
  type: string;
  /** The event as JSON, without the link (the delivering worker adds its public URL's). */
  body: string;
  createdAt: string;
}

/** A notice with its delivery so far. */
export interface NoticeState extends Notice {
  attempts: number;
  /** When it may be tried (again). */
  dueAt: string;
  /** A dispatcher holds it until then; another may take it after. */
  leaseUntil: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** How one try of a notice went: delivered, or failed and due again at `dueAt`. */
export type NoticeAttempt = { deliveredAt: string } | { error: string; dueAt: string };

/**
 * One installation's keys: records are scoped by `scope` (the Temporal namespace and task queue), so that
 * several installations can share one database without seeing each other's keys.
 */
export interface KeyStore {
  readonly scope: string;
  /** `sqlite:<path>` or `postgres://host:port/db` (never the password): for logs and `/healthz`. */
  readonly describe: string;

  get(key: string): Promise<KeyRecord | undefined>;
  /** The records of those keys that have one; one query per call (callers page: at most 1,000 keys). */
  getMany(keys: readonly string[]): Promise<Map<string, KeyRecord>>;
  /** Adds a key (its version must be 1) and its first event; false, writing nothing, if it already exists. */
  insert(record: KeyRecord, event: KeyEvent): Promise<boolean>;
  /**
   * Replaces a key's record, and appends `event` to its history, only if its version is still `expected`
   * (`record.version` must be `expected + 1`); false, writing nothing, otherwise. Both or neither, and
   * `notice` with them (the outbox: a run's end and its notification are one write).
   */
  update(record: KeyRecord, expected: number, event: KeyEvent, notice?: Notice): Promise<boolean>;
  /**
   * Removes a key and its history only if its version is still `expected`; false, removing nothing,
   * otherwise. For a reservation a front door took and then could not use (nothing started).
   */
  remove(key: string, expected: number): Promise<boolean>;
  /** A key's history, oldest first; the latest `limit` when given. */
  events(key: string, limit?: number): Promise<KeyEvent[]>;
  list(filter: KeyFilter): Promise<KeyRecord[]>;
  /**
   * Keys that ended before `before` (by `endedAt`), with their histories, removed; how many. Notices
   * delivered before it go too.
   */
  prune(before: string): Promise<number>;
  /** Every record of the scope with its history, in key order, a page at a time. */
  exportAll(pageSize?: number): AsyncIterable<{ record: KeyRecord; events: KeyEvent[] }>;
  /** Adds a key with its history if the scope does not have it; false (nothing written) if it does. */
  importOne(record: KeyRecord, events: readonly KeyEvent[]): Promise<boolean>;

  /** A named value of the scope's own (e.g. whether the store was filled from Temporal), with its version. */
  getMeta(name: string): Promise<{ value: string; version: number } | undefined>;
  /** Sets it if its version is still `expected` (0: if it does not exist yet); false otherwise. */
  setMeta(name: string, value: string, expected: number): Promise<boolean>;
  /**
   * Takes the next slot of the schedule kept in the named value (the last slot taken, in epoch ms): one
   * `spacingMs` after it, or now if that has passed, by the store's own clock, so workers whose clocks
   * differ still space their slots. Taken only if it is at most `horizonMs` away. One atomic write: takers
   * in any number of processes and machines each get their own slot. Either way, how many ms away it is.
   */
  takeSlot(name: string, spacingMs: number, horizonMs: number): Promise<{ taken: boolean; inMs: number }>;

  /** Adds notices to the outbox, due now; one already there (same ID and target) is left as it is. */
  addNotices(notices: readonly Notice[]): Promise<void>;
  /**
   * Takes up to `limit` undelivered notices due at `now` that no dispatcher holds, holding them until `until`,
   * in one write: two dispatchers never take the same notice at once.
   */
  leaseNotices(now: string, until: string, limit: number): Promise<NoticeState[]>;
  /** Records a try of a notice: one more attempt, and delivered or due again; the hold is released. */
  noteAttempt(id: string, target: string, attempt: NoticeAttempt): Promise<void>;
  /** The latest notices to targets (not the ones awaiting fan-out), newest first; only undelivered ones if asked. */
  notices(limit: number, undeliveredOnly?: boolean): Promise<NoticeState[]>;
  /** How many notices to targets are not delivered yet. */
  pendingNotices(): Promise<number>;

  /** Resolves when the store answers; KeyStoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
