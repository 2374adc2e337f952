// A run as callers see it, defined once in zod: the view every reader shares (a request, a batch, a
// listing, the key store), the answer to a request that starts, attaches to or retries a run, one run in
// detail, and a listing. The types are inferred; the web UI imports them with `import type` only.
import { z } from 'zod';
import { BatchPartResult, BatchResult } from './batches.js';
import { KeyOrigin } from './keys.js';
import { CanonicalRequest, ResolveOf, RetryOf, RunResult, RunStatus } from './runs.js';

/**
 * A run as callers see it. `result` is a RunResult for script runs, a BatchResult for batches and a
 * BatchPartResult for their parts.
 */
export const RunView = z.object({
  workflowId: z.string().describe('The idempotency key.'),
  runId: z.string(),
  status: RunStatus,
  workflowType: z.string().optional(),
  request: CanonicalRequest.optional(),
  startedAt: z.string().optional(),
  closedAt: z.string().optional(),
  historyLength: z.number().int().optional(),
  result: z.union([RunResult, BatchResult, BatchPartResult]).optional(),
  message: z.string().optional(),
  foreign: z
    .literal(true)
    .optional()
    .describe(
      "Temporal holds a request memo, input, result or failure details for this run that SuperScript did not write (started or changed outside SuperScript): status and times are Temporal's own, and what did not parse is left out.",
    ),
  retryOf: RetryOf.optional().describe(
    'Set when an explicit retry started this run: the run it retried, who and why.',
  ),
  resolveOf: ResolveOf.optional().describe(
    "Set when a resolve started this run: it ran only the script's verify command for that unknown run.",
  ),
  origin: KeyOrigin.optional().describe(
    'How the key came into the key store: superscript (its front door reserved it), temporal (a run started by another Temporal client claimed it), backfill or import.',
  ),
  onlyInKeyStore: z
    .boolean()
    .optional()
    .describe(
      'Temporal no longer has this run (its retention ran out, or it was deleted); the key store remembers it.',
    ),
});
export type RunView = z.infer<typeof RunView>;

/** The answer to a request that starts, attaches to or retries a run (or starts a batch). */
export const RunAnswer = RunView.extend({
  executed: z.boolean().describe('This request ran the script.'),
  replayed: z.boolean().describe('The run had already ended: its stored result.'),
  batchId: z.string().optional().describe('POST /v1/batches: the batch (given, or made up when not).'),
});
export type RunAnswer = z.infer<typeof RunAnswer>;

/** GET /v1/runs/{id}: the run, how long it is remembered, and what may be done with it. */
export const RunDetail = RunView.extend({
  dedupWindowDays: z
    .number()
    .nullable()
    .describe(
      'Days after its run ends that the key store remembers the key (and so answers for it); null: until removed with keys prune.',
    ),
  historyDays: z
    .number()
    .describe("Days after it closes that Temporal keeps the run's history (the namespace's retention)."),
  temporalUrl: z
    .string()
    .optional()
    .describe("The workflow in Temporal's Web UI, when SUPERSCRIPT_TEMPORAL_UI_URL (or dev) names it."),
  verifiable: z
    .boolean()
    .describe('The script has a verify command: an unknown outcome can be resolved (POST .../resolve).'),
});
export type RunDetail = z.infer<typeof RunDetail>;

/** POST /v1/runs/{id}/cancel: the run as it stands, cancelling. */
export const CancellingRun = RunView.extend({ status: z.literal('cancelling') });
export type CancellingRun = z.infer<typeof CancellingRun>;

/** GET /v1/runs. */
export const RunList = z.object({ runs: z.array(RunView) });
export type RunList = z.infer<typeof RunList>;
