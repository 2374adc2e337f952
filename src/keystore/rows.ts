// How a key record and its events become table rows and back, shared by the SQLite and PostgreSQL stores so
// both keep the same columns, the same JSON text and the same checks on what callers hand them.
import { ENDED_STATES } from './record.js';
import type { Notice, NoticeAttempt, NoticeState } from './store.js';
import type { KeyEvent, KeyRecord } from '../shared/schemas/keys.js';

/** Written in the schema table; a later SuperScript migrates a store from the version it finds there. */
export const SCHEMA_VERSION = 1;

/** Deleted per transaction by `prune`, so that other processes wait for the write lock briefly. */
export const PRUNE_BATCH = 500;

export const DEFAULT_EXPORT_PAGE = 500;

/** States `prune` may remove a key in: it ended, and no new run has claimed it since. */
export const PRUNABLE_STATES: readonly string[] = ENDED_STATES;

/** The columns of `superscript_keys` after `scope`, in the order `recordValues` gives them. */
export const KEY_COLUMNS = [
  'key',
  'script',
  'request',
  'state',
  'run_id',
  'attempts',
  'origin',
  'by',
  'grant_json',
  'result_json',
  'message',
  'created_at',
  'started_at',
  'updated_at',
  'ended_at',
  'version',
] as const;

/** The columns of `superscript_key_events` after `scope` and `key`, in the order `eventValues` gives them. */
export const EVENT_COLUMNS = ['at', 'kind', 'run_id', 'by', 'state', 'detail'] as const;

/** The columns of `superscript_notices` after `scope`, in the order `toNotice` reads them. */
export const NOTICE_COLUMNS = [
  'id',
  'target',
  'type',
  'body',
  'created_at',
  'due_at',
  'lease_until',
  'attempts',
  'last_error',
  'delivered_at',
] as const;

export type SqlValue = string | number | null;

export type KeyRow = Record<(typeof KEY_COLUMNS)[number], SqlValue>;
export type EventRow = Record<(typeof EVENT_COLUMNS)[number], SqlValue>;
export type NoticeRow = Record<(typeof NOTICE_COLUMNS)[number], SqlValue>;

/**
 * A record's column values. The result and the grant are stored as the JSON text of what was given and
 * parsed back on reading, so a duplicate's answer is the same bytes (same key order, same escapes) as the
 * first; JSON escapes control characters, so the text never holds a NUL (which PostgreSQL's text refuses).
 */
export function recordValues(r: KeyRecord): SqlValue[] {
  return [
    r.key,
    r.script,
    r.request,
    r.state,
    r.runId,
    r.attempts,
    r.origin,
    r.by,
    r.grant === null ? null : JSON.stringify(r.grant),
    r.result === null ? null : JSON.stringify(r.result),
    plain(r.message),
    r.createdAt,
    r.startedAt,
    r.updatedAt,
    r.endedAt,
    r.version,
  ];
}

export function eventValues(e: KeyEvent): SqlValue[] {
  return [e.at, e.kind, e.runId, plain(e.by), e.state, plain(e.detail)];
}

/**
 * Free text as both backends can keep it: PostgreSQL's text refuses U+0000, which a message taken from a
 * failure or a retry's reason may hold, so it is kept as U+FFFD on both (JSON columns escape it instead).
 */
function plain(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '\ufffd');
}

// Rows come only from these tables, which only these functions fill: their values are cast, not checked.
export function toRecord(row: KeyRow): KeyRecord {
  return {
    key: row.key as string,
    script: row.script as string,
    request: row.request as string,
    state: row.state as KeyRecord['state'],
    runId: row.run_id as string | null,
    attempts: Number(row.attempts),
    origin: row.origin as KeyRecord['origin'],
    by: row.by as string | null,
    grant: row.grant_json === null ? null : (JSON.parse(row.grant_json as string) as KeyRecord['grant']),
    result: row.result_json === null ? null : (JSON.parse(row.result_json as string) as KeyRecord['result']),
    message: row.message as string | null,
    createdAt: row.created_at as string,
    startedAt: row.started_at as string,
    updatedAt: row.updated_at as string,
    endedAt: row.ended_at as string | null,
    version: Number(row.version),
  };
}

export function toEvent(row: EventRow): KeyEvent {
  return {
    at: row.at as string,
    kind: row.kind as KeyEvent['kind'],
    runId: row.run_id as string | null,
    by: row.by as string | null,
    state: row.state as KeyEvent['state'],
    detail: row.detail as string | null,
  };
}

/** A new notice's values, as the first five of NOTICE_COLUMNS then `due_at` (due at once). */
export function noticeValues(n: Notice): SqlValue[] {
  return [n.id, n.target, n.type, n.body, n.createdAt, n.createdAt];
}

/** An attempt's values: `delivered_at`, `last_error`, `due_at` (a delivered notice keeps its due time). */
export function attemptValues(a: NoticeAttempt): [string | null, string | null, string | null] {
  return 'deliveredAt' in a ? [a.deliveredAt, null, null] : [null, plain(a.error), a.dueAt];
}

export function toNotice(row: NoticeRow): NoticeState {
  return {
    id: row.id as string,
    target: row.target as string,
    type: row.type as string,
    body: row.body as string,
    createdAt: row.created_at as string,
    dueAt: row.due_at as string,
    leaseUntil: row.lease_until as string | null,
    attempts: Number(row.attempts),
    lastError: row.last_error as string | null,
    deliveredAt: row.delivered_at as string | null,
  };
}

/** A caller's mistake, not the store's: a new key starts at version 1. */
export function checkNew(record: KeyRecord): void {
  if (record.version !== 1) {
    throw new TypeError(`A new key's record must have version 1; "${record.key}" has ${record.version}.`);
  }
}

/** A caller's mistake, not the store's: every write raises the version by exactly one. */
export function checkNext(record: KeyRecord, expected: number): void {
  if (record.version !== expected + 1) {
    throw new TypeError(
      `Updating "${record.key}" from version ${expected} must write version ${expected + 1}, not ${record.version}.`,
    );
  }
}

/** The events of several keys, grouped by key in the order the rows came (oldest first within a key). */
export function groupEvents(rows: readonly (EventRow & { key: SqlValue })[]): Map<string, KeyEvent[]> {
  const byKey = new Map<string, KeyEvent[]>();
  for (const row of rows) {
    const key = row.key as string;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(toEvent(row));
  }
  return byKey;
}
