// What crosses the Temporal boundary: workflow type names, inputs, results, failure types, and the
// identity every run carries. Pure code only, so workflow code, activities and clients can all import it.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/** Workflow type names. They must equal the exported function names, which is how the worker registers them. */
export const WorkflowTypes = {
  script: 'ScriptRunWorkflow',
  payment: 'SinglePaymentCollectionWorkflow',
  orchestrator: 'OrchestratorWorkflow',
} as const;

/** `ApplicationFailure.type` of a run that ended without success; details[0] is its {@link RunResult}. */
export const RunFailureTypes = {
  failed: 'ScriptFailed',
  timedOut: 'ScriptTimedOut',
  outcomeUnknown: 'OutcomeUnknown',
  notRegistered: 'ScriptNotRegistered',
  /** The worker refused the request: it is not for the run it arrived in (workflow ID, key). Nothing ran. */
  refused: 'RunRefused',
} as const;

/** Memo field holding the canonical request, compared when a key is used again. */
export const REQUEST_MEMO = 'superscript.request';

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

export type Outcome = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'outcome_unknown';

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

export interface ScriptRunInput {
  script: string;
  args: ScriptArgs;
  key: string;
  policy?: RunPolicy;
  /** Task queue for the activity when it differs from the workflow's (used by `superscript exec`). */
  activityTaskQueue?: string;
  /** Set on an explicit retry: the run it retries and who asked. */
  retryOf?: RetryOf;
}

export interface PaymentInput {
  orderId: string;
  amount: number;
  policy?: RunPolicy;
  retryOf?: RetryOf;
}

/** Recorded in the input of a run started by an explicit retry, so its history shows who and why. */
export interface RetryOf {
  runId: string;
  by: string;
  reason?: string;
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

export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}
