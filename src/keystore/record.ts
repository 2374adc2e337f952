// What the key store keeps for each key: which request it stands for, which run holds it, where that run
// is (reserved, claimed, running, ended how), the result a duplicate replays, and the key's history.
import { z } from 'zod';
import type { RunResult } from '../shared/runs.js';

/**
 * Where a key stands. `reserved`: SuperScript's front door took it for a request; no run holds it yet.
 * `claimed`: a run holds it and has not started the script. `running`: the script was started (or was
 * about to be) by the holding run. The rest are how the holding run ended; a key in one of them is
 * never run again unless an explicit retry (a grant, below) lets one new run claim it.
 */
export const KEY_STATES = [
  'reserved',
  'claimed',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'terminated',
  'outcome_unknown',
] as const;
export type KeyState = (typeof KEY_STATES)[number];

export const ENDED_STATES: readonly KeyState[] = [
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'terminated',
  'outcome_unknown',
];

export function hasEnded(state: KeyState): boolean {
  return ENDED_STATES.includes(state);
}

/**
 * How the key came into the store. `superscript`: reserved by SuperScript's front door (the API, `exec`,
 * a batch); `temporal`: claimed by a run that was started some other way (any Temporal client);
 * `backfill`: copied from Temporal's records when the store was first filled; `import`: `keys import`.
 */
export const KEY_ORIGINS = ['superscript', 'temporal', 'backfill', 'import'] as const;
export type KeyOrigin = (typeof KEY_ORIGINS)[number];

/**
 * Permission for one more run of an ended key, recorded through SuperScript (an explicit retry, or a
 * resolve that runs only the verify command). The run that may use it carries `token` in its input; a
 * run without it is refused. A grant is used once.
 */
export const GrantSchema = z.object({
  kind: z.enum(['retry', 'resolve']),
  token: z.string().min(16),
  /** The run it retries or resolves: the holder when it was granted. */
  of: z.string(),
  by: z.string(),
  reason: z.string().optional(),
  at: z.string(),
});
export type Grant = z.infer<typeof GrantSchema>;

const OUTCOMES = ['succeeded', 'failed', 'timed_out', 'cancelled', 'terminated', 'outcome_unknown'] as const;

/**
 * A run's result: what its workflow returns (or fails with), as the store keeps it and as it is read back
 * from Temporal. Fields it does not know are dropped, so a newer worker's results still read.
 */
export const RunResultSchema = z.object({
  outcome: z.enum(OUTCOMES),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number(),
  attempt: z.number().int(),
  workflowId: z.string(),
  runId: z.string(),
  request: z.string().optional(),
  verified: z
    .object({
      runId: z.string(),
      by: z.string(),
      at: z.string(),
      exitCode: z.number().int().nullable(),
      answer: z.enum(['done', 'not_done', 'unknown']),
    })
    .optional(),
});
// The workflow's own type and this schema describe one shape.
const _sameShape: RunResult = {} as z.infer<typeof RunResultSchema>;
void _sameShape;

export const KeyRecordSchema = z.object({
  key: z.string().min(1).max(200),
  script: z.string().min(1),
  /** The canonical request (script and validated arguments, JSON with sorted keys): the fingerprint. */
  request: z.string().min(2),
  state: z.enum(KEY_STATES),
  /** The run holding the key (claimed, running, or the run that ended it); null while only reserved. */
  runId: z.string().nullable(),
  /** Times the holding run has started the script. */
  attempts: z.number().int().min(0),
  origin: z.enum(KEY_ORIGINS),
  /** Who reserved it: a token's name, `exec`, a batch's workflow ID. */
  by: z.string().nullable(),
  grant: GrantSchema.nullable(),
  /**
   * The ended run's result, as its workflow returns it (a RunResult, with output up to the script's cap,
   * after redaction), so a duplicate is answered byte for byte without Temporal.
   */
  result: RunResultSchema.nullable(),
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
export type KeyRecord = z.infer<typeof KeyRecordSchema>;

export const KEY_EVENT_KINDS = [
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
] as const;
export type KeyEventKind = (typeof KEY_EVENT_KINDS)[number];

/** One line of a key's history: what happened, to which run, on whose word. */
export const KeyEventSchema = z.object({
  at: z.string(),
  kind: z.enum(KEY_EVENT_KINDS),
  runId: z.string().nullable(),
  by: z.string().nullable(),
  state: z.enum(KEY_STATES),
  detail: z.string().nullable(),
});
export type KeyEvent = z.infer<typeof KeyEventSchema>;

/** A listing of keys, newest first (by `startedAt`), from checked filters only. */
export interface KeyFilter {
  states?: readonly KeyState[];
  scripts?: readonly string[];
  /** `startedAt` at or after / at or before (ISO 8601). */
  since?: string;
  until?: string;
  limit: number;
}
