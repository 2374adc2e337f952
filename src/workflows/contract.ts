// What crosses the Temporal boundary: workflow type names, inputs, results, failure types, and the
// identity every run carries. Pure code only, so workflow code, activities and clients can all import it.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/** Workflow type names. They must equal the exported function names, which is how the worker registers them. */
export const WorkflowTypes = {
  script: 'ScriptRunWorkflow',
  payment: 'SinglePaymentCollectionWorkflow',
  orchestrator: 'OrchestratorWorkflow',
} as const satisfies Record<string, WorkflowType>;

/** `ApplicationFailure.type` of a run that ended without success; details[0] is its {@link RunResult}. */
export const RunFailureTypes = {
  failed: 'ScriptFailed',
  timedOut: 'ScriptTimedOut',
  outcomeUnknown: 'OutcomeUnknown',
  notRegistered: 'ScriptNotRegistered',
  /** A resolve run whose verify command found the work not done: outcome `failed` (the script did not run). */
  verifiedNotDone: 'VerifiedNotDone',
} as const;

/** What a key stands for; two requests are the same when their canonical forms are equal. */
export interface CanonicalRequest {
  script: string;
  args: ScriptArgs | { orders: OrchestratorInput['orders'] } | { argv: string[] };
}

/** Memo field holding the canonical request, compared when a key is used again. */
export const REQUEST_MEMO = 'superscript.request';

/** Memo field holding a nonce of the caller that started an explicit retry, so it alone reports `executed`. */
export const STARTER_MEMO = 'superscript.starter';

/** Custom search attribute holding the script name, so runs can be listed by script. */
export const SCRIPT_SEARCH_ATTRIBUTE = 'SuperScriptScript';
const scriptSearchAttribute = defineSearchAttributeKey(SCRIPT_SEARCH_ATTRIBUTE, SearchAttributeType.KEYWORD);

/**
 * The memo and search attribute every run is started with, whoever starts it (a client or a batch):
 * the canonical request, compared when its key is used again, and the script name, for listing.
 */
export function runIdentity(request: { script: string; args: unknown }) {
  return {
    memo: { [REQUEST_MEMO]: canonicalJson(request) },
    typedSearchAttributes: [{ key: scriptSearchAttribute, value: request.script }],
  };
}

/** JSON with object keys sorted at every level, so equal requests have equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export type ArgValue = string | number | boolean;
export type ScriptArgs = Record<string, ArgValue>;

/**
 * How a run ended. `terminated`: ended from outside through Temporal (not by SuperScript); like
 * `outcome_unknown`, its script may or may not have done its work.
 */
export type Outcome = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'terminated' | 'outcome_unknown';

/** How the workflow schedules the script's activity; resolved from the script registry by the client. */
export interface RunPolicy {
  /** Longest the activity may run before Temporal gives up on it. Default: 1 hour. */
  startToCloseTimeoutMs?: number;
  /** A worker silent for this long is presumed dead. Default: 10 s. */
  heartbeatTimeoutMs?: number;
  /**
   * Give up if no worker has picked the script up after this long: it never started, so the run fails
   * definitely (not `outcome_unknown`). Default: none, a run waits for a worker.
   */
  scheduleToStartTimeoutMs?: number;
  /** Attempts in all; 1 (the default) means at most once. Only scripts declared safe to retry get more. */
  maximumAttempts?: number;
  /** First retry delay when maximumAttempts > 1. Default: 1 s. */
  initialRetryIntervalMs?: number;
}

export interface ScriptRunInput extends RunExtras {
  script: string;
  args: ScriptArgs;
  key: string;
  policy?: RunPolicy;
  /** Task queue for the activity when it differs from the workflow's (used by `superscript exec`). */
  activityTaskQueue?: string;
}

export interface PaymentInput extends RunExtras {
  orderId: string;
  amount: number;
  policy?: RunPolicy;
}

/** What a run's input may carry beyond its request: how it came to be started. */
export interface RunExtras {
  /** Set on an explicit retry: the run it retries and who asked. */
  retryOf?: RetryOf;
  /**
   * Set on a resolve: run only the script's verify command, never the script (then `policy` is the verify
   * command's). Verify only reads, so a hand-started resolve can make nothing run more often.
   */
  resolve?: ResolveOf;
}

/** Recorded in the input of a run started by an explicit retry, so its history shows who and why. */
export interface RetryOf {
  runId: string;
  by: string;
  reason?: string;
}

/** Recorded in the input of a resolve run: the run whose outcome was unknown, and who asked. */
export interface ResolveOf {
  runId: string;
  by: string;
}

/** What a verify command answered: exit 0 done, 1 not done, anything else (or no exit) cannot tell. */
export type VerifyAnswer = 'done' | 'not_done' | 'unknown';

/** On the result of a resolve run: which run was verified, by whom, when, and the verify command's answer. */
export interface Verified {
  /** The run whose outcome was unknown. */
  runId: string;
  by: string;
  /** When verify answered (or gave up). */
  at: string;
  exitCode: number | null;
  answer: VerifyAnswer;
}

export interface OrchestratorInput {
  batchId: string;
  orders: { orderId: string; amount: number }[];
  /** Children in flight at once. Default: 50. */
  maxConcurrent?: number;
  policy?: RunPolicy;
}

/** What one script run did. Also the details of a failed run's ApplicationFailure. */
export interface RunResult {
  outcome: Outcome;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  attempt: number;
  workflowId: string;
  runId: string;
  /**
   * The canonical request the run was for (as in its memo), stamped by the workflow, so a duplicate can
   * be checked against a finished run from its result alone.
   */
  request?: string;
  /**
   * Set on the result of a resolve run. Its process fields (exit code, output, times) are then the verify
   * command's: the script itself did not run in that run.
   */
  verified?: Verified;
}

export type OrderOutcome = 'executed' | 'already_done' | 'conflict';

export interface OrderReport {
  orderId: string;
  workflowId: string;
  /** `executed`: this batch ran it; `already_done`: an earlier request had; `conflict`: the key holds another request. */
  disposition: OrderOutcome;
  outcome: Outcome | 'conflict';
  runId?: string;
  exitCode?: number | null;
  message?: string;
}

export interface BatchResult {
  batchId: string;
  workflowId: string;
  runId: string;
  total: number;
  executed: number;
  alreadyDone: number;
  succeeded: number;
  failed: number;
  orders: OrderReport[];
  /** As RunResult.request. */
  request?: string;
}

/** Each workflow type's input, so a start names its type and its input together. */
export interface WorkflowInputs {
  ScriptRunWorkflow: ScriptRunInput;
  SinglePaymentCollectionWorkflow: PaymentInput;
  OrchestratorWorkflow: OrchestratorInput;
}

export type WorkflowType = keyof WorkflowInputs;

/** Query a running batch answers with its {@link BatchProgress}; clients query it by this name. */
export const BATCH_PROGRESS_QUERY = 'progress';

export interface BatchProgress {
  total: number;
  done: number;
}

/** Input of the activity that attaches a batch order to a run someone else started. */
export interface AttachInput {
  workflowId: string;
  script: string;
  args: ScriptArgs;
}

export type AttachOutcome =
  | { kind: 'result'; runId: string; result: RunResult }
  | { kind: 'ended'; runId: string; outcome: Outcome; message: string }
  | { kind: 'conflict'; message: string };

/** The script name `superscript exec` runs record; reserved, no registered script may take it. */
export const EXEC_SCRIPT = 'exec';

/** The payment script's registry name; payment workflows are thin uses of the script workflow. */
export const PAYMENT_SCRIPT = 'collect-payment';

export function paymentWorkflowId(orderId: string): string {
  return `payment-${orderId}`;
}

/** The task queue of `superscript exec` runs' workflows, beside the installation's own. */
export function execTaskQueue(taskQueue: string): string {
  return `${taskQueue}-exec`;
}

export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}

/**
 * The metrics the run workflows emit through the SDK Runtime (see run-metrics.ts); the Runtime's exporter
 * gives the duration histogram its buckets, and each worker starts the outcome_unknown count at 0.
 */
export const RunMetrics = {
  runs: { name: 'superscript_runs_total', help: 'Runs that ended, by script and outcome.' },
  outcomeUnknown: {
    name: 'superscript_outcome_unknown_total',
    help: 'Runs whose script may or may not have done its work.',
  },
  duration: { name: 'superscript_run_duration_seconds', help: 'How long scripts ran, from spawn to exit.' },
} as const;

/** Seconds: from a quick script (a bash spawn takes milliseconds) to the longest timeout people set. */
export const RUN_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
