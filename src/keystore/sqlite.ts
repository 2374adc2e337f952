// The embedded key store: one SQLite file (node:sqlite) shared by every SuperScript process on the machine (a
// worker, an API, `superscript exec`), each write a short IMMEDIATE transaction that is on disk when it returns.
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { KeyStoreUnavailableError } from '../errors.js';
import { loadSqlite } from './quiet-sqlite.js';
import type { KeyFilter } from './record.js';
import {
  DEFAULT_EXPORT_PAGE,
  EVENT_COLUMNS,
  KEY_COLUMNS,
  NOTICE_COLUMNS,
  PRUNABLE_STATES,
  PRUNE_BATCH,
  SCHEMA_VERSION,
  checkNew,
  checkNext,
  attemptValues,
  eventValues,
  groupEvents,
  noticeValues,
  recordValues,
  toEvent,
  toNotice,
  toRecord,
  type EventRow,
  type KeyRow,
  type NoticeRow,
  type SqlValue,
} from './rows.js';
import type { KeyStore, Notice, NoticeAttempt, NoticeState } from './store.js';
import type { KeyEvent, KeyRecord } from '../shared/schemas/keys.js';

/**
 * How long a statement waits for another process's write lock before failing. Writes hold it for well under a
 * millisecond, so reaching this means a process is stuck, not busy.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

// STRICT: a value of the wrong type is refused instead of stored. Timestamps are ISO 8601 text, compared as
// text, so callers write them in one form (Date#toISOString). No WITHOUT ROWID: a row's result can be large.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS superscript_schema (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS superscript_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  script TEXT NOT NULL,
  request TEXT NOT NULL,
  state TEXT NOT NULL,
  run_id TEXT,
  attempts INTEGER NOT NULL,
  origin TEXT NOT NULL,
  by TEXT,
  grant_json TEXT,
  result_json TEXT,
  message TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  ended_at TEXT,
  version INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) STRICT;
CREATE INDEX IF NOT EXISTS superscript_keys_started ON superscript_keys (scope, started_at DESC, key DESC);
CREATE INDEX IF NOT EXISTS superscript_keys_state ON superscript_keys (scope, state);
CREATE TABLE IF NOT EXISTS superscript_key_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  run_id TEXT,
  by TEXT,
  state TEXT NOT NULL,
  detail TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS superscript_key_events_key ON superscript_key_events (scope, key, id);
CREATE TABLE IF NOT EXISTS superscript_notices (
  scope TEXT NOT NULL,
  id TEXT NOT NULL,
  target TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  due_at TEXT NOT NULL,
  lease_until TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  delivered_at TEXT,
  PRIMARY KEY (scope, id, target)
) STRICT;
CREATE INDEX IF NOT EXISTS superscript_notices_due ON superscript_notices (scope, delivered_at, due_at);
CREATE INDEX IF NOT EXISTS superscript_notices_created ON superscript_notices (scope, created_at DESC);
CREATE TABLE IF NOT EXISTS superscript_meta (
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (scope, name)
) STRICT;
`;

const KEY_LIST = KEY_COLUMNS.join(', ');
const EVENT_LIST = EVENT_COLUMNS.join(', ');
const INSERT_KEY =
  `INSERT INTO superscript_keys (scope, ${KEY_LIST}) VALUES (?, ${KEY_COLUMNS.map(() => '?').join(', ')}) ` +
  'ON CONFLICT DO NOTHING';
const UPDATE_KEY = `UPDATE superscript_keys SET ${KEY_COLUMNS.slice(1)
  .map((c) => `${c} = ?`)
  .join(', ')} WHERE scope = ? AND key = ? AND version = ?`;
const INSERT_EVENT =
  `INSERT INTO superscript_key_events (scope, key, ${EVENT_LIST}) ` +
  `VALUES (?, ?, ${EVENT_COLUMNS.map(() => '?').join(', ')})`;
// A key list travels as one JSON array parameter: one statement for any number of keys, far from SQLite's
// limit on parameters, and prepared once.
const IN_KEYS = 'key IN (SELECT value FROM json_each(?))';
const NOTICE_LIST = NOTICE_COLUMNS.join(', ');
const INSERT_NOTICE = `INSERT INTO superscript_notices (scope, ${NOTICE_COLUMNS.slice(0, 6).join(', ')})
  VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
// Undelivered, due, and held by no dispatcher (or by one whose hold has run out): scope, now, now, limit.
const DUE_NOTICES = `SELECT id, target FROM superscript_notices WHERE scope = ? AND delivered_at IS NULL
  AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at LIMIT ?`;
const PRUNABLE = `SELECT key FROM superscript_keys WHERE scope = ? AND state IN (SELECT value FROM json_each(?))
  AND ended_at < ? ORDER BY key LIMIT ${PRUNE_BATCH}`;

export class SqliteKeyStore implements KeyStore {
  readonly describe: string;
  private readonly statements = new Map<string, StatementSync>();

  private constructor(
    private readonly db: DatabaseSync,
    private readonly file: string,
    /** The file this store opened: if the path later names another file (or none), it refuses to go on. */
    private readonly opened: Stats,
    readonly scope: string,
  ) {
    this.describe = `sqlite:${file}`;
  }

  /** Opens (creating if missing) the store in `file`, whose folder must exist. */
  static async open(file: string, scope: string): Promise<SqliteKeyStore> {
    const { DatabaseSync } = await loadSqlite();
    const absolute = path.resolve(file);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(absolute, { timeout: SQLITE_BUSY_TIMEOUT_MS });
      // WAL: readers never wait for the writer. FULL: a commit is synced to disk before it returns, so a key
      // taken survives a power cut (NORMAL could lose the last commits, and the guarantee with them).
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      const store = new SqliteKeyStore(db, absolute, statSync(absolute), scope);
      store.createSchema();
      return store;
    } catch (err) {
      db?.close();
      throw unavailable(absolute, err);
    }
  }

  async get(key: string): Promise<KeyRecord | undefined> {
    return this.run(() => {
      const row = this.statement(`SELECT ${KEY_LIST} FROM superscript_keys WHERE scope = ? AND key = ?`).get(
        this.scope,
        key,
      );
      return row ? toRecord(row as KeyRow) : undefined;
    });
  }

  async getMany(keys: readonly string[]): Promise<Map<string, KeyRecord>> {
    return this.run(() => {
      const rows = this.statement(
        `SELECT ${KEY_LIST} FROM superscript_keys WHERE scope = ? AND ${IN_KEYS}`,
      ).all(this.scope, JSON.stringify(keys));
      return new Map(rows.map((row) => [row.key as string, toRecord(row as KeyRow)]));
    });
  }

  async insert(record: KeyRecord, event: KeyEvent): Promise<boolean> {
    checkNew(record);
    return this.run(() =>
      this.write(() => {
        if (this.statement(INSERT_KEY).run(this.scope, ...recordValues(record)).changes === 0) return false;
        this.appendEvent(record.key, event);
        return true;
      }),
    );
  }

  async update(record: KeyRecord, expected: number, event: KeyEvent, notice?: Notice): Promise<boolean> {
    checkNext(record, expected);
    return this.run(() =>
      this.write(() => {
        const values = recordValues(record).slice(1);
        if (this.statement(UPDATE_KEY).run(...values, this.scope, record.key, expected).changes === 0)
          return false;
        this.appendEvent(record.key, event);
        if (notice) this.statement(INSERT_NOTICE).run(this.scope, ...noticeValues(notice));
        return true;
      }),
    );
  }

  async remove(key: string, expected: number): Promise<boolean> {
    return this.run(() =>
      this.write(() => {
        const gone = this.statement(
          'DELETE FROM superscript_keys WHERE scope = ? AND key = ? AND version = ?',
        ).run(this.scope, key, expected).changes;
        if (gone === 0) return false;
        this.statement('DELETE FROM superscript_key_events WHERE scope = ? AND key = ?').run(this.scope, key);
        return true;
      }),
    );
  }

  async events(key: string, limit?: number): Promise<KeyEvent[]> {
    return this.run(() => {
      const rows =
        limit === undefined
          ? this.statement(
              `SELECT ${EVENT_LIST} FROM superscript_key_events WHERE scope = ? AND key = ? ORDER BY id`,
            ).all(this.scope, key)
          : this.statement(
              `SELECT ${EVENT_LIST} FROM superscript_key_events WHERE scope = ? AND key = ? ORDER BY id DESC LIMIT ?`,
            )
              .all(this.scope, key, limit)
              .reverse();
      return rows.map((row) => toEvent(row as EventRow));
    });
  }

  /** An empty `keys`, `states` or `scripts` filters nothing, like an absent one. */
  async list(filter: KeyFilter): Promise<KeyRecord[]> {
    const where = ['scope = ?'];
    const params: SqlValue[] = [this.scope];
    if (filter.keys?.length) {
      where.push('key IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.keys));
    }
    if (filter.states?.length) {
      where.push('state IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.states));
    }
    if (filter.scripts?.length) {
      where.push('script IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.scripts));
    }
    if (filter.since !== undefined) {
      where.push('started_at >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('started_at <= ?');
      params.push(filter.until);
    }
    const sql =
      `SELECT ${KEY_LIST} FROM superscript_keys WHERE ${where.join(' AND ')} ` +
      'ORDER BY started_at DESC, key DESC LIMIT ?';
    return this.run(() =>
      this.statement(sql)
        .all(...params, filter.limit)
        .map((row) => toRecord(row as KeyRow)),
    );
  }

  async prune(before: string): Promise<number> {
    const states = JSON.stringify(PRUNABLE_STATES);
    return this.run(() => {
      let total = 0;
      // A batch per transaction, so that a large prune never holds the write lock for long.
      for (;;) {
        const removed = this.write(() => {
          const keys = JSON.stringify(
            this.statement(PRUNABLE)
              .all(this.scope, states, before)
              .map((row) => row.key),
          );
          this.statement(`DELETE FROM superscript_key_events WHERE scope = ? AND ${IN_KEYS}`).run(
            this.scope,
            keys,
          );
          return Number(
            this.statement(`DELETE FROM superscript_keys WHERE scope = ? AND ${IN_KEYS}`).run(
              this.scope,
              keys,
            ).changes,
          );
        });
        total += removed;
        if (removed < PRUNE_BATCH) break;
      }
      this.write(() =>
        this.statement('DELETE FROM superscript_notices WHERE scope = ? AND delivered_at < ?').run(
          this.scope,
          before,
        ),
      );
      return total;
    });
  }

  async *exportAll(pageSize = DEFAULT_EXPORT_PAGE): AsyncIterable<{ record: KeyRecord; events: KeyEvent[] }> {
    let after = '';
    for (;;) {
      // Each page is read in one transaction, so its records and their events agree.
      const page = this.run(() => {
        this.db.exec('BEGIN');
        try {
          const records = this.statement(
            `SELECT ${KEY_LIST} FROM superscript_keys WHERE scope = ? AND key > ? ORDER BY key LIMIT ?`,
          )
            .all(this.scope, after, pageSize)
            .map((row) => toRecord(row as KeyRow));
          const events = groupEvents(
            this.statement(
              `SELECT key, ${EVENT_LIST} FROM superscript_key_events WHERE scope = ? AND ${IN_KEYS} ORDER BY key, id`,
            ).all(this.scope, JSON.stringify(records.map((r) => r.key))) as (EventRow & { key: string })[],
          );
          return records.map((record) => ({ record, events: events.get(record.key) ?? [] }));
        } finally {
          this.db.exec('COMMIT');
        }
      });
      yield* page;
      const last = page.at(-1);
      if (!last || page.length < pageSize) return;
      after = last.record.key;
    }
  }

  async importOne(record: KeyRecord, events: readonly KeyEvent[]): Promise<boolean> {
    return this.run(() =>
      this.write(() => {
        if (this.statement(INSERT_KEY).run(this.scope, ...recordValues(record)).changes === 0) return false;
        for (const event of events) this.appendEvent(record.key, event);
        return true;
      }),
    );
  }

  async addNotices(notices: readonly Notice[]): Promise<void> {
    this.run(() =>
      this.write(() => {
        for (const n of notices) this.statement(INSERT_NOTICE).run(this.scope, ...noticeValues(n));
      }),
    );
  }

  async leaseNotices(now: string, until: string, limit: number): Promise<NoticeState[]> {
    return this.run(() => {
      // Most polls find nothing due: they read, and take no write lock.
      if (!this.statement(DUE_NOTICES).get(this.scope, now, now, 1)) return [];
      return this.write(() =>
        this.statement(
          `UPDATE superscript_notices SET lease_until = ? WHERE scope = ? AND (id, target) IN (${DUE_NOTICES})
            RETURNING ${NOTICE_LIST}`,
        )
          .all(until, this.scope, this.scope, now, now, limit)
          .map((row) => toNotice(row as NoticeRow)),
      );
    });
  }

  async noteAttempt(id: string, target: string, attempt: NoticeAttempt): Promise<void> {
    this.run(() =>
      this.statement(
        `UPDATE superscript_notices SET attempts = attempts + 1, lease_until = NULL, delivered_at = COALESCE(delivered_at, ?),
          last_error = COALESCE(?, last_error), due_at = COALESCE(?, due_at)
          WHERE scope = ? AND id = ? AND target = ?`,
      ).run(...attemptValues(attempt), this.scope, id, target),
    );
  }

  async notices(limit: number, undeliveredOnly = false): Promise<NoticeState[]> {
    const undelivered = undeliveredOnly ? 'AND delivered_at IS NULL' : '';
    return this.run(() =>
      this.statement(
        `SELECT ${NOTICE_LIST} FROM superscript_notices WHERE scope = ? AND target <> '' ${undelivered}
          ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
        .all(this.scope, limit)
        .map((row) => toNotice(row as NoticeRow)),
    );
  }

  async pendingNotices(): Promise<number> {
    return this.run(() =>
      Number(
        this.statement(
          "SELECT count(*) AS n FROM superscript_notices WHERE scope = ? AND target <> '' AND delivered_at IS NULL",
        ).get(this.scope)?.n,
      ),
    );
  }

  async getMeta(name: string): Promise<{ value: string; version: number } | undefined> {
    return this.run(() => {
      const row = this.statement(
        'SELECT value, version FROM superscript_meta WHERE scope = ? AND name = ?',
      ).get(this.scope, name);
      return row ? { value: row.value as string, version: Number(row.version) } : undefined;
    });
  }

  async setMeta(name: string, value: string, expected: number): Promise<boolean> {
    return this.run(() => {
      const result =
        expected === 0
          ? this.statement(
              'INSERT INTO superscript_meta (scope, name, value, version) VALUES (?, ?, ?, 1) ON CONFLICT DO NOTHING',
            ).run(this.scope, name, value)
          : this.statement(
              'UPDATE superscript_meta SET value = ?, version = version + 1 WHERE scope = ? AND name = ? AND version = ?',
            ).run(value, this.scope, name, expected);
      return result.changes === 1;
    });
  }

  async takeSlot(
    name: string,
    spacingMs: number,
    horizonMs: number,
  ): Promise<{ taken: boolean; inMs: number }> {
    // The embedded file is shared only by processes on this machine, so this machine's clock is the store's.
    return this.run(() =>
      this.write(() => {
        const now = Date.now();
        const row = this.statement('SELECT value FROM superscript_meta WHERE scope = ? AND name = ?').get(
          this.scope,
          name,
        );
        const slot = Math.max(row ? Number(row.value) + spacingMs : now, now);
        if (slot - now > horizonMs) return { taken: false, inMs: slot - now };
        this.statement(
          `INSERT INTO superscript_meta (scope, name, value, version) VALUES (?, ?, ?, 1)
            ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value, version = version + 1`,
        ).run(this.scope, name, String(slot));
        return { taken: true, inMs: slot - now };
      }),
    );
  }

  async ping(): Promise<void> {
    this.run(() => this.statement('SELECT version FROM superscript_schema').get());
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  private createSchema(): void {
    this.write(() => {
      this.db.exec(SCHEMA);
      this.statement('INSERT INTO superscript_schema (id, version) VALUES (1, ?) ON CONFLICT DO NOTHING').run(
        SCHEMA_VERSION,
      );
      const found = Number(this.statement('SELECT version FROM superscript_schema').get()?.version);
      if (found !== SCHEMA_VERSION) {
        throw new KeyStoreUnavailableError(
          `The key store ${this.file} has schema version ${found}, and this SuperScript knows ${SCHEMA_VERSION}: ` +
            'it was written by another SuperScript version. Run that version, or upgrade this one.',
        );
      }
    });
  }

  private appendEvent(key: string, event: KeyEvent): void {
    this.statement(INSERT_EVENT).run(this.scope, key, ...eventValues(event));
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** `fn` in a write transaction: BEGIN IMMEDIATE takes the write lock first, so it waits (up to the timeout)
   * for another writer instead of failing at its first write the way a reader turned writer would. */
  private write<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      // SQLite rolls some failures (a full disk, an I/O error) back itself.
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** `fn` against the file this store opened, with SQLite's errors told as KeyStoreUnavailableError. */
  private run<T>(fn: () => T): T {
    this.checkSameFile();
    try {
      return fn();
    } catch (err) {
      throw unavailable(this.file, err);
    }
  }

  /**
   * An open SQLite file that was deleted (or its folder) goes on working, unlinked, where no other process
   * sees it: a key taken there would not stop a duplicate elsewhere. So every call checks that the path still
   * names the file that was opened (a stat, about a microsecond); a new empty store is never made in its place.
   */
  private checkSameFile(): void {
    let now: Stats | undefined;
    try {
      now = statSync(this.file);
    } catch {
      // `now` stays undefined: the file is gone, or its folder, or this process may no longer reach it.
    }
    if (now?.ino === this.opened.ino && now.dev === this.opened.dev) return;
    throw new KeyStoreUnavailableError(
      `The key store file ${this.file} was ${now ? 'replaced' : 'removed (or its folder)'} while SuperScript had it ` +
        'open; it will not carry on in a file other processes cannot see, nor start an empty one in its place, ' +
        'which would forget which keys ran. Restore the file (e.g. from a backup) and restart SuperScript. ' +
        NOTHING_RUN,
    );
  }
}

const NOTHING_RUN = 'Nothing was run; send the same request again once it is back.';

// SQLite's primary result codes (the low byte of an extended code).
const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_AUTH = 23;
const SQLITE_NOTADB = 26;

/** SQLite's error as a KeyStoreUnavailableError saying what is wrong and what to do; other errors unchanged. */
function unavailable(file: string, err: unknown): unknown {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== 'ERR_SQLITE_ERROR') return err;
  const code = Number((err as { errcode?: unknown }).errcode) & 0xff;
  const said = `(SQLite: ${err.message})`;
  let what: string;
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      what =
        `${file} stayed locked by another process for over ${SQLITE_BUSY_TIMEOUT_MS / 1000} s ${said}: a ` +
        'process holding it is stuck, or the file is on a network filesystem, where SQLite cannot share it.';
      break;
    case SQLITE_FULL:
      what = `the disk holding ${file} is full ${said}: free space on it.`;
      break;
    case SQLITE_CANTOPEN:
      what = `${file} cannot be opened ${said}: ${whyNotOpened(file)}`;
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      what = `${file} cannot be written ${said}: ${WRITABLE}`;
      break;
    case SQLITE_IOERR:
      what = `reading or writing ${file} failed ${said}: check the disk, and that the file is still there.`;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      what =
        `${file} is damaged or is not a SuperScript key store ${said}: restore it from a backup, or point ` +
        'the key store at another file.';
      break;
    default:
      what = `${file} failed ${said}.`;
  }
  return new KeyStoreUnavailableError(`The key store is unavailable: ${what} ${NOTHING_RUN}`, { cause: err });
}

const WRITABLE =
  'make the file and its folder readable and writable by the user SuperScript runs as (SQLite also writes ' +
  'the -wal and -shm files beside it).';

function whyNotOpened(file: string): string {
  const folder = path.dirname(file);
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'folder' : 'file';
    } catch {
      return undefined;
    }
  };
  if (kind(folder) !== 'folder')
    return `its folder ${folder} does not exist: create it, or choose another path.`;
  if (kind(file) === 'folder') return 'it is a folder: give the path of a file (e.g. keys.sqlite) in it.';
  return WRITABLE;
}
