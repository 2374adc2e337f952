// The API's own shapes beside runs, batches and keys, defined once in zod: the one error body, who the
// caller is, the request journal, health, and the demonstration route's answer. The web UI imports them
// with `import type` only.
import { z } from 'zod';
import { RunResult } from './runs.js';

/** Every failure's body: a stable name, what was wrong and what to do, and the input at fault if any. */
export const ErrorBody = z.object({
  error: z.string().describe('A stable name, e.g. invalid_request, not_found, key_conflict.'),
  message: z.string().describe('What was wrong and what to do.'),
  field: z
    .string()
    .optional()
    .describe('The input at fault, when there is one: its path, e.g. orders[3].amount.'),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** GET /v1/whoami: the caller's token and what its scopes allow. */
export const Caller = z.object({
  /** The token's name, recorded with what the caller did. */
  name: z.string().describe("The token's name."),
  scopes: z.array(z.string()).readonly(),
  open: z.boolean().optional().describe('The API has no tokens file: anyone who reaches it may do anything.'),
});
export type Caller = z.infer<typeof Caller>;

export const Disposition = z.enum(['executed', 'attached', 'replayed', 'conflict']);
export type Disposition = z.infer<typeof Disposition>;

/** The kind of request: an explicit retry, a resolve (verify) of an unknown run, or any start-or-attach. */
export const RequestAction = z.enum(['request', 'retry', 'resolve']);
export type RequestAction = z.infer<typeof RequestAction>;

export const JournalEntry = z.object({
  at: z.string(),
  disposition: Disposition,
  action: RequestAction,
  runId: z.string().optional().describe('The run the request was answered with (none for a conflict).'),
  token: z.string().optional().describe("The caller's token name, when the API has tokens."),
  message: z.string().optional().describe('Why a conflict was refused.'),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

/** What this API process answered a key's requests (request-journal.ts). */
export const KeyJournal = z.object({
  since: z.string().describe('When this API process started recording: older requests are not known here.'),
  entries: z.array(JournalEntry),
  dropped: z.number().int().describe('Older entries dropped to keep the journal bounded.'),
});
export type KeyJournal = z.infer<typeof KeyJournal>;

/** GET /v1/runs/{id}/requests. */
export const RunJournal = KeyJournal.extend({ workflowId: z.string() });
export type RunJournal = z.infer<typeof RunJournal>;

const reach = z.enum(['reachable', 'unreachable']);

/** GET /healthz: can this API start runs? */
export const Healthy = z.object({ ok: z.literal(true), temporal: reach, keyStore: reach });
export const Unhealthy = z.object({
  ok: z.literal(false),
  temporal: reach,
  keyStore: reach,
  message: z.string(),
});
export type Health = z.infer<typeof Healthy> | z.infer<typeof Unhealthy>;

/** POST /v1/payments/traditional: how the payment script's process, run directly, ended. */
export const TraditionalAnswer = z.object({
  idempotent: z.literal(false),
  result: RunResult.pick({
    outcome: true,
    exitCode: true,
    signal: true,
    stdout: true,
    stderr: true,
    stdoutTruncated: true,
    stderrTruncated: true,
    startedAt: true,
    endedAt: true,
    durationMs: true,
  }),
});
