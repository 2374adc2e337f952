// The key store in PostgreSQL, for installations whose workers and APIs run on several machines: the same
// tables and the same compare-and-set writes as the SQLite file, each write one statement (so one round trip).
import { DatabaseError, Pool, type PoolClient, type QueryConfig, type QueryResultRow } from 'pg';
import { KeyStoreUnavailableError } from '../errors.js';
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

/** Connections per process: every call is one short statement, so a few serve a busy worker. */
const POOL_MAX = 10;
/** A database that does not answer is reported within this (a refused connection at once). */
const CONNECT_TIMEOUT_MS = 5000;
/** The server cancels a statement past this (e.g. one stuck behind a lock)... */
const STATEMENT_TIMEOUT_MS = 5000;
/** ...and the client gives up past this, for a server or network that stopped answering mid-statement. */
const QUERY_TIMEOUT_MS = 6000;
/** Taken while the schema is created, so two processes starting at once do not both create it. */
const SCHEMA_LOCK = 7_318_294_551;

// The outbox of notifications; a store made before it gets it when a process of this version opens it.
const NOTICES_SCHEMA = `
CREATE TABLE IF NOT EXISTS superscript_notices (
  scope text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  target text COLLATE "C" NOT NULL,
  type text NOT NULL,
  body text NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  due_at text COLLATE "C" NOT NULL,
  lease_until text COLLATE "C",
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  delivered_at text COLLATE "C",
  PRIMARY KEY (scope, id, target)
);
CREATE INDEX IF NOT EXISTS superscript_notices_due ON superscript_notices (scope, delivered_at, due_at);
CREATE INDEX IF NOT EXISTS superscript_notices_created ON superscript_notices (scope, created_at DESC);
`;

// Text, not jsonb, for the JSON columns: jsonb reorders keys and respaces, and a replay must be the same bytes.
// Keys and timestamps compare bytewise (COLLATE "C"), as in SQLite, whatever the database's own locale.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS superscript_schema (
  id integer PRIMARY KEY CHECK (id = 1),
  version integer NOT NULL
);
CREATE TABLE IF NOT EXISTS superscript_keys (
  scope text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  script text COLLATE "C" NOT NULL,
  request text NOT NULL,
  state text COLLATE "C" NOT NULL,
  run_id text,
  attempts integer NOT NULL,
  origin text NOT NULL,
  by text,
  grant_json text,
  result_json text,
  message text,
  created_at text COLLATE "C" NOT NULL,
  started_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  ended_at text COLLATE "C",
  version integer NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS superscript_keys_started ON superscript_keys (scope, started_at DESC, key DESC);
CREATE INDEX IF NOT EXISTS superscript_keys_state ON superscript_keys (scope, state);
CREATE TABLE IF NOT EXISTS superscript_key_events (
  id bigserial PRIMARY KEY,
  scope text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  at text NOT NULL,
  kind text NOT NULL,
  run_id text,
  by text,
  state text NOT NULL,
  detail text
);
CREATE INDEX IF NOT EXISTS superscript_key_events_key ON superscript_key_events (scope, key, id);
${NOTICES_SCHEMA}
CREATE TABLE IF NOT EXISTS superscript_meta (
  scope text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  value text NOT NULL,
  version integer NOT NULL,
  PRIMARY KEY (scope, name)
);
`;

const KEY_LIST = KEY_COLUMNS.join(', ');
const EVENT_LIST = EVENT_COLUMNS.join(', ');
/** `$from, $from+1, ...`: `count` parameters. */
const params = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');

// $1 the scope, $2..$17 the record (KEY_COLUMNS), $18..$23 the event (EVENT_COLUMNS). The key and its event
// are written by one statement, so both or neither; a conflict or a stale version writes neither.
const RECORD_END = 1 + KEY_COLUMNS.length;
const EVENT_PARAMS = params(RECORD_END + 1, EVENT_COLUMNS.length);
const INSERT_KEY = `INSERT INTO superscript_keys (scope, ${KEY_LIST}) VALUES ($1, ${params(2, KEY_COLUMNS.length)})
  ON CONFLICT DO NOTHING RETURNING key`;
const INSERT = `WITH k AS (${INSERT_KEY})
  INSERT INTO superscript_key_events (scope, key, ${EVENT_LIST}) SELECT $1, k.key, ${EVENT_PARAMS} FROM k`;
// Under READ COMMITTED, a second concurrent UPDATE waits for the first, then re-checks `version` on the row
// the first wrote: the compare-and-set holds across connections without a stronger isolation level.
const UPDATE = `WITH k AS (
    UPDATE superscript_keys SET ${KEY_COLUMNS.slice(1)
      .map((c, i) => `${c} = $${i + 3}`)
      .join(', ')}
    WHERE scope = $1 AND key = $2 AND version = $${RECORD_END + EVENT_COLUMNS.length + 1} RETURNING key)
  INSERT INTO superscript_key_events (scope, key, ${EVENT_LIST}) SELECT $1, k.key, ${EVENT_PARAMS} FROM k`;
// The same, with a notice written in the same statement: $24..$29 the notice (noticeValues).
const NOTICE_LIST = NOTICE_COLUMNS.join(', ');
const NEW_NOTICE = NOTICE_COLUMNS.slice(0, 6).join(', ');
const UPDATE_NOTIFYING = UPDATE.replace(
  'RETURNING key)',
  `RETURNING key),
  n AS (INSERT INTO superscript_notices (scope, ${NEW_NOTICE})
    SELECT $1, ${params(RECORD_END + EVENT_COLUMNS.length + 2, 6)} FROM k ON CONFLICT DO NOTHING)`,
);
// Undelivered, due, and held by no dispatcher (or by one whose hold has run out); rows another dispatcher is
// taking right now are skipped, not waited for.
const LEASE = `UPDATE superscript_notices SET lease_until = $3 WHERE scope = $1 AND (id, target) IN (
    SELECT id, target FROM superscript_notices WHERE scope = $1 AND delivered_at IS NULL AND due_at <= $2
      AND (lease_until IS NULL OR lease_until <= $2) ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED)
  RETURNING ${NOTICE_LIST}`;
// The events come as one array per column; WITH ORDINALITY keeps their order, and so their ids' order.
const IMPORT = `WITH k AS (${INSERT_KEY}),
  e AS (INSERT INTO superscript_key_events (scope, key, ${EVENT_LIST})
    SELECT $1, k.key, ${EVENT_COLUMNS.map((c) => `e.${c}`).join(', ')}
    FROM k, unnest(${EVENT_COLUMNS.map((_, i) => `$${RECORD_END + 1 + i}::text[]`).join(', ')})
      WITH ORDINALITY AS e(${EVENT_LIST}, n)
    ORDER BY e.n)
  SELECT count(*)::int AS inserted FROM k`;
// The conditions are repeated outside the subquery so that a key claimed again meanwhile (by a retry) is
// re-checked on its new row and kept.
const PRUNE = `WITH gone AS (
    DELETE FROM superscript_keys WHERE scope = $1 AND state = ANY($2::text[]) AND ended_at < $3 AND key IN (
      SELECT key FROM superscript_keys WHERE scope = $1 AND state = ANY($2::text[]) AND ended_at < $3
      ORDER BY key LIMIT ${PRUNE_BATCH})
    RETURNING key),
  e AS (DELETE FROM superscript_key_events ev USING gone WHERE ev.scope = $1 AND ev.key = gone.key)
  SELECT count(*)::int AS removed FROM gone`;

// A schedule's next slot, by the database's clock (read after the row's lock is taken, so a taker that
// waited for another gets a slot after the other's): taken, and how far away it is, only within the horizon.
// $3 the spacing and $4 the horizon, in ms.
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::float8';
const TAKE_SLOT = `INSERT INTO superscript_meta AS m (scope, name, value, version) VALUES ($1, $2, ${NOW_MS}::text, 1)
  ON CONFLICT (scope, name) DO UPDATE SET value = GREATEST(m.value::float8 + $3, ${NOW_MS})::text,
    version = m.version + 1
  WHERE GREATEST(m.value::float8 + $3, ${NOW_MS}) <= ${NOW_MS} + $4
  RETURNING value::float8 - ${NOW_MS} AS in_ms`;
const NEXT_SLOT = `SELECT value::float8 + $3 - ${NOW_MS} AS in_ms FROM superscript_meta WHERE scope = $1 AND name = $2`;

export class PostgresKeyStore implements KeyStore {
  private constructor(
    private readonly pool: Pool,
    private readonly target: Target,
    readonly scope: string,
  ) {}

  get describe(): string {
    return `postgres://${this.target.hostPort}/${this.target.database}`;
  }

  /** Connects to `url` (postgres:// or postgresql://) and creates the tables if they are missing. */
  static async open(url: string, scope: string): Promise<PostgresKeyStore> {
    const pool = new Pool({
      connectionString: url,
      max: POOL_MAX,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      // A write is one statement; a transaction left open (a process stuck mid-export) must not hold locks.
      idle_in_transaction_session_timeout: STATEMENT_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'superscript-keystore',
    });
    // An idle connection that breaks (the server restarted) is reported here; the pool has already dropped
    // it and the next call opens a new one. Without a listener the error would end the process.
    pool.on('error', () => undefined);
    const store = new PostgresKeyStore(pool, target(url), scope);
    try {
      await store.createSchema();
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
  }

  async get(key: string): Promise<KeyRecord | undefined> {
    const { rows } = await this.query<KeyRow>({
      name: 'superscript_keys_get',
      text: `SELECT ${KEY_LIST} FROM superscript_keys WHERE scope = $1 AND key = $2`,
      values: [this.scope, key],
    });
    return rows[0] && toRecord(rows[0]);
  }

  async getMany(keys: readonly string[]): Promise<Map<string, KeyRecord>> {
    const { rows } = await this.query<KeyRow>({
      name: 'superscript_keys_get_many',
      text: `SELECT ${KEY_LIST} FROM superscript_keys WHERE scope = $1 AND key = ANY($2::text[])`,
      values: [this.scope, keys],
    });
    return new Map(rows.map((row) => [row.key as string, toRecord(row)]));
  }

  async insert(record: KeyRecord, event: KeyEvent): Promise<boolean> {
    checkNew(record);
    const { rowCount } = await this.query({
      name: 'superscript_keys_insert',
      text: INSERT,
      values: [this.scope, ...recordValues(record), ...eventValues(event)],
    });
    return rowCount === 1;
  }

  async update(record: KeyRecord, expected: number, event: KeyEvent, notice?: Notice): Promise<boolean> {
    checkNext(record, expected);
    const values = [this.scope, ...recordValues(record), ...eventValues(event), expected];
    const { rowCount } = await this.query(
      notice
        ? {
            name: 'superscript_keys_update_notifying',
            text: UPDATE_NOTIFYING,
            values: [...values, ...noticeValues(notice)],
          }
        : { name: 'superscript_keys_update', text: UPDATE, values },
    );
    return rowCount === 1;
  }

  async remove(key: string, expected: number): Promise<boolean> {
    // One statement: the record goes only if its version still matches, and its history with it.
    const { rowCount } = await this.query({
      name: 'superscript_keys_remove',
      text: `WITH gone AS (
          DELETE FROM superscript_keys WHERE scope = $1 AND key = $2 AND version = $3 RETURNING key
        ), history AS (
          DELETE FROM superscript_key_events WHERE scope = $1 AND key IN (SELECT key FROM gone)
        )
        SELECT key FROM gone`,
      values: [this.scope, key, expected],
    });
    return rowCount === 1;
  }

  async events(key: string, limit?: number): Promise<KeyEvent[]> {
    const base = `SELECT ${EVENT_LIST} FROM superscript_key_events WHERE scope = $1 AND key = $2`;
    const { rows } =
      limit === undefined
        ? await this.query<EventRow>({
            name: 'superscript_key_events_all',
            text: `${base} ORDER BY id`,
            values: [this.scope, key],
          })
        : await this.query<EventRow>({
            name: 'superscript_key_events_latest',
            text: `${base} ORDER BY id DESC LIMIT $3`,
            values: [this.scope, key, limit],
          });
    const events = rows.map(toEvent);
    return limit === undefined ? events : events.reverse();
  }

  /** An empty `keys`, `states` or `scripts` filters nothing, like an absent one. */
  async list(filter: KeyFilter): Promise<KeyRecord[]> {
    const where = ['scope = $1'];
    const values: (SqlValue | readonly string[])[] = [this.scope];
    const add = (condition: (n: string) => string, value: SqlValue | readonly string[]) => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (filter.keys?.length) add((n) => `key = ANY(${n}::text[])`, filter.keys);
    if (filter.states?.length) add((n) => `state = ANY(${n}::text[])`, filter.states);
    if (filter.scripts?.length) add((n) => `script = ANY(${n}::text[])`, filter.scripts);
    if (filter.since !== undefined) add((n) => `started_at >= ${n}`, filter.since);
    if (filter.until !== undefined) add((n) => `started_at <= ${n}`, filter.until);
    values.push(filter.limit);
    const { rows } = await this.query<KeyRow>({
      text:
        `SELECT ${KEY_LIST} FROM superscript_keys WHERE ${where.join(' AND ')} ` +
        `ORDER BY started_at DESC, key DESC LIMIT $${values.length}`,
      values,
    });
    return rows.map(toRecord);
  }

  async prune(before: string): Promise<number> {
    let total = 0;
    // A batch per statement, so that a large prune stays within the statement timeout.
    for (;;) {
      const { rows } = await this.query<{ removed: number }>({
        name: 'superscript_keys_prune',
        text: PRUNE,
        values: [this.scope, PRUNABLE_STATES, before],
      });
      const removed = rows[0]?.removed ?? 0;
      total += removed;
      if (removed < PRUNE_BATCH) break;
    }
    await this.query({
      name: 'superscript_notices_prune',
      text: 'DELETE FROM superscript_notices WHERE scope = $1 AND delivered_at < $2',
      values: [this.scope, before],
    });
    return total;
  }

  async *exportAll(pageSize = DEFAULT_EXPORT_PAGE): AsyncIterable<{ record: KeyRecord; events: KeyEvent[] }> {
    let after = '';
    for (;;) {
      // Each page is read in one snapshot, so its records and their events agree.
      const page = await this.transaction(
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
        async (client) => {
          const records = (
            await client.query<KeyRow>({
              name: 'superscript_keys_export',
              text: `SELECT ${KEY_LIST} FROM superscript_keys WHERE scope = $1 AND key > $2 ORDER BY key LIMIT $3`,
              values: [this.scope, after, pageSize],
            })
          ).rows.map(toRecord);
          const events = groupEvents(
            (
              await client.query<EventRow & { key: string }>({
                name: 'superscript_key_events_export',
                text: `SELECT key, ${EVENT_LIST} FROM superscript_key_events
                WHERE scope = $1 AND key = ANY($2::text[]) ORDER BY key, id`,
                values: [this.scope, records.map((r) => r.key)],
              })
            ).rows,
          );
          return records.map((record) => ({ record, events: events.get(record.key) ?? [] }));
        },
      );
      yield* page;
      const last = page.at(-1);
      if (!last || page.length < pageSize) return;
      after = last.record.key;
    }
  }

  async importOne(record: KeyRecord, events: readonly KeyEvent[]): Promise<boolean> {
    const columns = EVENT_COLUMNS.map((_, i) => events.map((e) => eventValues(e)[i] as string | null));
    const { rows } = await this.query<{ inserted: number }>({
      name: 'superscript_keys_import',
      text: IMPORT,
      values: [this.scope, ...recordValues(record), ...columns],
    });
    return rows[0]?.inserted === 1;
  }

  async addNotices(notices: readonly Notice[]): Promise<void> {
    if (notices.length === 0) return;
    const columns = [0, 1, 2, 3, 4].map((i) => notices.map((n) => noticeValues(n)[i] as string));
    await this.query({
      name: 'superscript_notices_add',
      text: `INSERT INTO superscript_notices (scope, ${NEW_NOTICE})
        SELECT $1, n.*, n.created_at FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
          AS n(id, target, type, body, created_at)
        ON CONFLICT DO NOTHING`,
      values: [this.scope, ...columns],
    });
  }

  async leaseNotices(now: string, until: string, limit: number): Promise<NoticeState[]> {
    const { rows } = await this.query<NoticeRow>({
      name: 'superscript_notices_lease',
      text: LEASE,
      values: [this.scope, now, until, limit],
    });
    return rows.map(toNotice);
  }

  async noteAttempt(id: string, target: string, attempt: NoticeAttempt): Promise<void> {
    await this.query({
      name: 'superscript_notices_attempt',
      text: `UPDATE superscript_notices SET attempts = attempts + 1, lease_until = NULL,
          delivered_at = COALESCE(delivered_at, $4), last_error = COALESCE($5, last_error),
          due_at = COALESCE($6, due_at)
        WHERE scope = $1 AND id = $2 AND target = $3`,
      values: [this.scope, id, target, ...attemptValues(attempt)],
    });
  }

  async notices(limit: number, undeliveredOnly = false): Promise<NoticeState[]> {
    const { rows } = await this.query<NoticeRow>({
      text: `SELECT ${NOTICE_LIST} FROM superscript_notices WHERE scope = $1 AND target <> ''
        ${undeliveredOnly ? 'AND delivered_at IS NULL' : ''} ORDER BY created_at DESC, id DESC LIMIT $2`,
      values: [this.scope, limit],
    });
    return rows.map(toNotice);
  }

  async pendingNotices(): Promise<number> {
    const { rows } = await this.query<{ n: number }>({
      name: 'superscript_notices_pending',
      text: `SELECT count(*)::int AS n FROM superscript_notices
        WHERE scope = $1 AND target <> '' AND delivered_at IS NULL`,
      values: [this.scope],
    });
    return rows[0]?.n ?? 0;
  }

  async getMeta(name: string): Promise<{ value: string; version: number } | undefined> {
    const { rows } = await this.query<{ value: string; version: number }>({
      name: 'superscript_meta_get',
      text: 'SELECT value, version FROM superscript_meta WHERE scope = $1 AND name = $2',
      values: [this.scope, name],
    });
    return rows[0];
  }

  async setMeta(name: string, value: string, expected: number): Promise<boolean> {
    const { rowCount } =
      expected === 0
        ? await this.query({
            name: 'superscript_meta_insert',
            text: `INSERT INTO superscript_meta (scope, name, value, version) VALUES ($1, $2, $3, 1)
              ON CONFLICT DO NOTHING`,
            values: [this.scope, name, value],
          })
        : await this.query({
            name: 'superscript_meta_update',
            text: `UPDATE superscript_meta SET value = $3, version = version + 1
              WHERE scope = $1 AND name = $2 AND version = $4`,
            values: [this.scope, name, value, expected],
          });
    return rowCount === 1;
  }

  async takeSlot(
    name: string,
    spacingMs: number,
    horizonMs: number,
  ): Promise<{ taken: boolean; inMs: number }> {
    const taken = await this.query<{ in_ms: number }>({
      name: 'superscript_slot_take',
      text: TAKE_SLOT,
      values: [this.scope, name, spacingMs, horizonMs],
    });
    const slot = taken.rows[0];
    if (slot) return { taken: true, inMs: Math.max(0, slot.in_ms) };
    // Not taken: the slot is beyond the horizon; this says how far (it only ever moves later, so no race).
    const { rows } = await this.query<{ in_ms: number }>({
      name: 'superscript_slot_next',
      text: NEXT_SLOT,
      values: [this.scope, name, spacingMs],
    });
    return { taken: false, inMs: Math.max(horizonMs, rows[0]?.in_ms ?? horizonMs) };
  }

  async ping(): Promise<void> {
    await this.query({ text: 'SELECT 1' });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** The tables, once: skipped when they exist, else created under a lock other processes wait on. */
  private async createSchema(): Promise<void> {
    const found = await this.query<{ version: number }>({
      text: 'SELECT version FROM superscript_schema',
    }).then(
      ({ rows }) => rows[0]?.version,
      (err: unknown) => {
        if (err instanceof KeyStoreUnavailableError && isMissingTable(err.cause)) return undefined;
        throw err;
      },
    );
    const version =
      found ??
      (await this.transaction('BEGIN', async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await client.query(SCHEMA);
        await client.query(
          'INSERT INTO superscript_schema (id, version) VALUES (1, $1) ON CONFLICT DO NOTHING',
          [SCHEMA_VERSION],
        );
        const { rows } = await client.query<{ version: number }>('SELECT version FROM superscript_schema');
        return rows[0]?.version;
      }));
    if (version === SCHEMA_VERSION && found !== undefined) await this.addOutbox();
    if (version !== SCHEMA_VERSION) {
      throw new KeyStoreUnavailableError(
        `The key store in ${this.describe} has schema version ${version}, and this SuperScript knows ` +
          `${SCHEMA_VERSION}: it was written by another SuperScript version. Run that version, or upgrade this one.`,
      );
    }
  }

  /** The outbox table, in a store made before it: created under the schema lock, once. */
  private async addOutbox(): Promise<void> {
    const { rows } = await this.query<{ found: string | null }>({
      text: "SELECT to_regclass('superscript_notices')::text AS found",
    });
    if (rows[0]?.found) return;
    await this.transaction('BEGIN', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(NOTICES_SCHEMA);
    });
  }

  private async query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig<unknown[]>) {
    try {
      return await this.pool.query<R>(config);
    } catch (err) {
      throw unavailable(this.target, err);
    }
  }

  /** `fn` on one connection between `begin` and COMMIT; rolled back, and the connection dropped, on error. */
  private async transaction<T>(begin: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query(begin);
      const out = await fn(client);
      await client.query('COMMIT');
      client.release();
      return out;
    } catch (err) {
      // Releasing with the error closes the connection, and the server rolls back what it held open.
      client?.release(err instanceof Error ? err : true);
      throw unavailable(this.target, err);
    }
  }
}

interface Target {
  hostPort: string;
  database: string;
  user: string;
}

/** Where `url` points, for messages and `describe`; the password is left out on purpose. */
function target(url: string): Target {
  const u = new URL(url);
  return {
    hostPort: `${u.hostname || 'localhost'}:${u.port || '5432'}`,
    database: decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'postgres',
    user: u.username ? `the user "${decodeURIComponent(u.username)}"` : 'the default user',
  };
}

function isMissingTable(err: unknown): boolean {
  return err instanceof DatabaseError && err.code === '42P01';
}

/** SQLSTATEs meaning the server is going away, starting, or out of connections: it will answer again. */
const NOT_ANSWERING = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/** An error from pg as a KeyStoreUnavailableError saying what is wrong and what to do. */
function unavailable(to: Target, err: unknown): KeyStoreUnavailableError {
  if (err instanceof KeyStoreUnavailableError) return err;
  const at = `PostgreSQL at ${to.hostPort}`;
  const said = err instanceof Error ? err.message : String(err);
  const fixed = 'Nothing was run; send the same request again once this is fixed.';
  if (
    !(err instanceof DatabaseError) ||
    !err.code ||
    err.code.startsWith('08') ||
    NOT_ANSWERING.has(err.code)
  ) {
    // pg's own errors are of the connection (refused, broken, timed out, TLS); class 08 and the rest, the server's.
    return new KeyStoreUnavailableError(
      `The key store is unavailable: ${at} is not answering (${said}); nothing was run; send the same request ` +
        'again once it is back.',
      { cause: err },
    );
  }
  let message: string;
  if (err.code.startsWith('28')) {
    message = `${at} refused the login of ${to.user} (${said}): check the user and password in the key store URL.`;
  } else if (err.code === '3D000') {
    message = `${at} has no database "${to.database}" (${said}): create it, or fix the key store URL.`;
  } else if (err.code === '42501') {
    message = `${at} does not let ${to.user} use the key store's tables (${said}): grant it their use.`;
  } else if (err.code === '25006') {
    message = `${at} is read-only (${said}): point the key store at the primary server.`;
  } else if (err.code === '53100') {
    message = `${at} has run out of disk (${said}): free space on its server.`;
  } else {
    message = `${at} refused a key store statement (SQLSTATE ${err.code}: ${said}).`;
  }
  return new KeyStoreUnavailableError(`The key store is unavailable: ${message} ${fixed}`, { cause: err });
}
