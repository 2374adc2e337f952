// A run's shapes, each defined once in zod: its request and arguments, how it ended and its result, who
// retried or resolved it, its key, and what the API takes to start, retry, resolve, wait for and list runs.
// The types are inferred from them. Workflow code and the web UI import this module with `import type` only
// (lint enforces it), so zod's runtime stays out of the workflow bundle and the browser.
import { z } from 'zod';

/**
 * How a run ended. `terminated`: ended from outside through Temporal (not by SuperScript); like
 * `outcome_unknown`, its script may or may not have done its work.
 */
export const Outcome = z.enum([
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'terminated',
  'outcome_unknown',
]);
export type Outcome = z.infer<typeof Outcome>;

export const RunStatus = z
  .enum(['running', ...Outcome.options], {
    error: `must be one of running, ${Outcome.options.join(', ')}`,
  })
  .describe('running, succeeded, failed, timed_out, cancelled, terminated or outcome_unknown.');
export type RunStatus = z.infer<typeof RunStatus>;

export const ArgValue = z.union([z.string(), z.number(), z.boolean()]);
export type ArgValue = z.infer<typeof ArgValue>;

export const ScriptArgs = z.record(z.string(), ArgValue);
export type ScriptArgs = z.infer<typeof ScriptArgs>;

/** What a script name looks like: the registry's keys, and the `run:<script>` token scopes. */
export const SCRIPT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const ScriptName = z.string().regex(SCRIPT_NAME, 'must be a script name');

/**
 * What a key stands for; two requests are the same when their canonical forms are equal. Strict: SuperScript
 * writes exactly this, and the key's fingerprint is compared as written.
 */
export const CanonicalRequest = z
  .strictObject({
    script: z.string(),
    args: z.union([z.strictObject({ argv: z.array(z.string()) }), ScriptArgs]),
  })
  .describe('The canonical request: script and arguments.');
export type CanonicalRequest = z.infer<typeof CanonicalRequest>;

export const KEY_MAX_LENGTH = 200;
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@=+-]*$/;

/** An idempotency key: the workflow ID of its run, so a safe workflow ID and URL segment. */
export const Key = z
  .string({
    error: 'An idempotency key is required: send the Idempotency-Key header (or "key" in the body).',
  })
  .min(1, 'An idempotency key is required: send the Idempotency-Key header (or "key" in the body).')
  .max(KEY_MAX_LENGTH, {
    error: (issue) =>
      `The idempotency key is ${String(issue.input).length} characters; the limit is ${KEY_MAX_LENGTH}.`,
  })
  .regex(
    KEY_PATTERN,
    'The idempotency key may hold letters, digits and . _ : @ = + - and must start with a letter or digit.',
  );

/** What a verify command answered: exit 0 done, 1 not done, anything else (or no exit) cannot tell. */
export const VerifyAnswer = z.enum(['done', 'not_done', 'unknown']);
export type VerifyAnswer = z.infer<typeof VerifyAnswer>;

/** On the result of a resolve run: which run was verified, by whom, when, and the verify command's answer. */
export const Verified = z.object({
  /** The run whose outcome was unknown. */
  runId: z.string(),
  by: z.string(),
  /** When verify answered (or gave up). */
  at: z.string(),
  exitCode: z.number().int().nullable(),
  answer: VerifyAnswer,
});
export type Verified = z.infer<typeof Verified>;

/**
 * What one script run did: what its workflow returns (or fails with, as its ApplicationFailure's details), as
 * the key store keeps it and as it is read back from Temporal. Fields it does not know are dropped, so a
 * newer worker's results still read.
 */
export const RunResult = z
  .object({
    outcome: Outcome,
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
    /**
     * The canonical request the run was for (as in its memo), stamped by the workflow, so the result alone
     * says which request it answers.
     */
    request: z.string().optional(),
    /**
     * Set on the result of a resolve run. Its process fields (exit code, output, times) are then the verify
     * command's: the script itself did not run in that run.
     */
    verified: Verified.optional(),
  })
  .describe('Exit code, signal, capped stdout and stderr, times, attempt.');
export type RunResult = z.infer<typeof RunResult>;

/** The explicit retry that started a run: the run it retried, who asked and why (never the grant). */
export const RetryOf = z.object({ runId: z.string(), by: z.string(), reason: z.string().optional() });
export type RetryOf = z.infer<typeof RetryOf>;

/** The resolve that started a run: the run whose outcome was unknown, and who asked (never the grant). */
export const ResolveOf = z.object({ runId: z.string(), by: z.string() });
export type ResolveOf = z.infer<typeof ResolveOf>;

export const MAX_WAIT_MS = 600_000;
const WAIT = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const WAIT_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const WAIT_MESSAGE = 'must be a duration such as 500ms, 30s or 2m, at most 10m';

/** `?wait=`: how long a request waits for the run's result before answering 202, in milliseconds. */
export const Wait = z
  .string()
  .regex(WAIT, WAIT_MESSAGE)
  .transform((value, ctx) => {
    const [, amount, unit = 's'] = WAIT.exec(value)!;
    const ms = Number(amount) * (WAIT_UNITS[unit] ?? 1000);
    if (ms <= MAX_WAIT_MS) return ms;
    ctx.issues.push({ code: 'custom', message: WAIT_MESSAGE, input: value });
    return z.NEVER;
  })
  .describe('How long to wait for the result before answering 202: 500ms, 30s or 2m; at most 10m.');

export const WaitQuery = z.object({ wait: Wait.optional() });

/** A time in a query or a body: an ISO 8601 time, answered as UTC. */
export const IsoTime = z
  .string()
  .refine(
    (value) => /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)),
    'must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z',
  )
  .transform((value) => new Date(Date.parse(value)).toISOString())
  .describe('An ISO 8601 time.');

const LIMIT_MESSAGE = 'must be a whole number from 1 to 1000';

/** How many a listing answers: at most 1,000, so its work stays proportional to what it answers. */
export const Limit = z.coerce
  .number({ error: LIMIT_MESSAGE })
  .int(LIMIT_MESSAGE)
  .min(1, LIMIT_MESSAGE)
  .max(1000, LIMIT_MESSAGE)
  .default(100)
  .describe('How many, newest first: 1 to 1000 (default 100).');

/** POST /v1/runs: a registered script, its arguments, and its key (or the Idempotency-Key header). */
export const RunRequest = z.strictObject({
  script: z.string(),
  args: z.record(z.string(), z.unknown()).optional(),
  key: Key.optional(),
});
export type RunRequest = z.infer<typeof RunRequest>;

export const RunRequestHeaders = z.object({
  'idempotency-key': Key.optional().describe('The key; or "key" in the body (not both, unless equal).'),
});

/** POST /v1/runs/{id}/retry: why, and which run is meant (refused if it was already retried). */
export const RetryRequest = z
  .strictObject({ reason: z.string().max(1000).optional(), runId: z.string().max(100).optional() })
  .nullable();
export type RetryRequest = z.infer<typeof RetryRequest>;

/** POST /v1/runs/{id}/resolve takes no fields: who asks is the token. */
export const ResolveRequest = z.strictObject({}).nullable();

const FIND_MESSAGE = `must be a run's key or an order ID: up to ${KEY_MAX_LENGTH} letters, digits and . _ : @ = + -, starting with a letter or digit`;

/** GET /v1/runs: keys from the key store, newest first. */
export const RunsQuery = z.object({
  find: z
    .string()
    .max(KEY_MAX_LENGTH, FIND_MESSAGE)
    .regex(KEY_PATTERN, FIND_MESSAGE)
    .optional()
    .describe("A run's key, or a payment's order ID (its key payment-<orderId>): the lines for either."),
  status: RunStatus.optional(),
  script: ScriptName.optional(),
  since: IsoTime.optional(),
  until: IsoTime.optional(),
  limit: Limit,
});
export type RunsQuery = z.infer<typeof RunsQuery>;

/** The path of a route about one run. */
export const RunIdParams = z.object({ id: Key.describe("The run's workflow ID (its key).") });
