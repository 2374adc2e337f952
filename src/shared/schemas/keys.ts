// The key store's shapes, each defined once in zod: the record per key (its request, state, holding run,
// attempts, origin, who, grant, result, times, version), the events of its history, a key as
// GET /v1/keys/{id} shows it, and pruning. Both backends and `keys import` check records with them.
import { z } from 'zod';
import { IsoTime, Outcome, RunResult } from './runs.js';

/**
 * Where a key stands. `reserved`: SuperScript's front door took it for a request; no run holds it yet.
 * `claimed`: a run holds it and has not started the script. `running`: the script was started (or was
 * about to be) by the holding run. The rest are how the holding run ended; a key in one of them is
 * never run again unless an explicit retry (a grant, below) lets one new run claim it.
 */
export const KeyState = z.enum(['reserved', 'claimed', 'running', ...Outcome.options]);
export type KeyState = z.infer<typeof KeyState>;

/**
 * How the key came into the store. `superscript`: reserved by SuperScript's front door (the API, `exec`,
 * a batch); `temporal`: claimed by a run that was started some other way (any Temporal client);
 * `backfill`: copied from Temporal's records when the store was first filled; `import`: `keys import`.
 */
export const KeyOrigin = z.enum(['superscript', 'temporal', 'backfill', 'import']);
export type KeyOrigin = z.infer<typeof KeyOrigin>;

/**
 * Permission for one more run of an ended key, recorded through SuperScript (an explicit retry, or a
 * resolve that runs only the verify command). The run that may use it carries `token` in its input; a
 * run without it is refused. A grant is used once.
 */
export const Grant = z.object({
  kind: z.enum(['retry', 'resolve']),
  token: z.string().min(16),
  /** The run it retries or resolves: the holder when it was granted. */
  of: z.string(),
  by: z.string(),
  reason: z.string().optional(),
  at: z.string(),
});
export type Grant = z.infer<typeof Grant>;

export const KeyRecord = z.object({
  key: z.string().min(1).max(200),
  script: z.string().min(1),
  /** The canonical request (script and validated arguments, JSON with sorted keys): the fingerprint. */
  request: z.string().min(2),
  state: KeyState,
  /** The run holding the key (claimed, running, or the run that ended it); null while only reserved. */
  runId: z.string().nullable(),
  /** Times the holding run has started the script. */
  attempts: z.number().int().min(0),
  origin: KeyOrigin,
  /** Who reserved it: a token's name, `exec`, a batch's workflow ID. */
  by: z.string().nullable(),
  grant: Grant.nullable(),
  /**
   * The ended run's result, as its workflow returns it (a RunResult, with output up to the script's cap,
   * after redaction), so a duplicate is answered byte for byte without Temporal.
   */
  result: RunResult.nullable(),
  /** Why the run ended as it did, for people. */
  message: z.string().nullable(),
  createdAt: z.string(),
  /** When the key's current run was reserved or claimed; runs are listed by it, newest first. */
  startedAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().nullable(),
  /** Raised by one on every write: each write is a compare-and-set on it. */
  version: z.number().int().min(1),
});
export type KeyRecord = z.infer<typeof KeyRecord>;

export const KeyEventKind = z.enum([
  'reserved',
  'claimed',
  'spawned',
  'ended',
  'settled',
  'refused',
  'granted',
  'released',
  'backfilled',
  'imported',
]);
export type KeyEventKind = z.infer<typeof KeyEventKind>;

/** One line of a key's history: what happened, to which run, on whose word. */
export const KeyEvent = z.object({
  at: z.string(),
  kind: KeyEventKind,
  runId: z.string().nullable(),
  by: z.string().nullable(),
  state: KeyState,
  detail: z.string().nullable(),
});
export type KeyEvent = z.infer<typeof KeyEvent>;

/**
 * GET /v1/keys/{id}: a key as people see it (`superscript keys show`). A pending grant's token is the
 * permission itself, so it is never shown; nor is the record's version.
 */
export const KeyReport = z.object({
  record: KeyRecord.omit({ grant: true, version: true })
    .extend({ grant: Grant.omit({ token: true }).nullable() })
    .describe(
      'The key: script, request, state, the run holding it, attempts, origin, result, times; a pending retry or resolve grant (without its token).',
    ),
  events: z
    .array(KeyEvent)
    .describe(
      'Its history, oldest first (the latest 200): reserved, claimed, spawned, ended, settled, granted, refused, backfilled.',
    ),
  keptDays: z
    .number()
    .nullable()
    .describe('Days after its run ends that the key is remembered; null: until removed with keys prune.'),
});
export type KeyReport = z.infer<typeof KeyReport>;

/** POST /v1/keys/prune: only keys that have ended before a time in the past are removed. */
export const PruneRequest = z.strictObject({
  before: IsoTime.refine(
    (before) => Date.parse(before) <= Date.now(),
    'must be in the past: only keys that have ended are removed',
  ).describe('An ISO 8601 time in the past.'),
});
export type PruneRequest = z.infer<typeof PruneRequest>;

export const PruneAnswer = z.object({ removed: z.number().int() });
export type PruneAnswer = z.infer<typeof PruneAnswer>;
