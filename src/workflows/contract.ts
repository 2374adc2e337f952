// What crosses the Temporal boundary: workflow type names, inputs, results, failure types, and the
// identity every run carries. Pure code only, so workflow code, activities and clients can all import it.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/** Workflow type names. They must equal the exported function names, which is how the worker registers them. */
export const WorkflowTypes = {
  script: 'ScriptRunWorkflow',
  payment: 'SinglePaymentCollectionWorkflow',
  orchestrator: 'OrchestratorWorkflow',
  batchPart: 'BatchPartWorkflow',
  semaphore: 'ScriptSemaphoreWorkflow',
} as const satisfies Record<string, WorkflowType>;

/** `ApplicationFailure.type` of a run that ended without success; details[0] is its {@link RunResult}. */
export const RunFailureTypes = {
  failed: 'ScriptFailed',
  timedOut: 'ScriptTimedOut',
  outcomeUnknown: 'OutcomeUnknown',
  notRegistered: 'ScriptNotRegistered',
  /** A resolve run whose verify command found the work not done: outcome `failed` (the script did not run). */
  verifiedNotDone: 'VerifiedNotDone',
  /** The worker refused the request: it is not for the run it arrived in (workflow ID, key). Nothing ran. */
  refused: 'RunRefused',
  /**
   * The key store did not answer before the script started: nothing ran, and the activity is tried again
   * (without using up the script's attempts) until it does.
   */
  keyStoreUnavailable: 'KeyStoreUnavailable',
} as const;

/** What a key stands for; two requests are the same when their canonical forms are equal. */
export interface CanonicalRequest {
  script: string;
  args: ScriptArgs | { argv: string[] };
}

/** Memo field holding the canonical request, compared when a key is used again. */
export const REQUEST_MEMO = 'superscript.request';

/**
 * Memo field naming who started a run, so that caller alone reports `executed`: a nonce of the caller of an
 * explicit retry, or the workflow ID of the batch that started an order (also on its retried starts).
 */
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
  /**
   * Runs of this script at once across all workers (the registry's `maxConcurrent`): the run waits for a
   * permit from the script's semaphore workflow. The worker refuses to run a capped script without one.
   */
  maxConcurrent?: number;
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
  /**
   * The key store's grant for this retry: only a run carrying it may claim the ended key. An input that
   * says it is a retry without the key's pending grant is refused where the script would run.
   */
  grant?: string;
}

/** Recorded in the input of a resolve run: the run whose outcome was unknown, and who asked. */
export interface ResolveOf {
  runId: string;
  by: string;
  /** The key store's grant for this resolve: without it, verify does not run and nothing is recorded. */
  grant?: string;
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

/**
 * The result of a resolve run: verify's own process fields, the outcome its answer gives the key, and
 * what it answered about which run. The workflow and the activity that records it in the key store both
 * build it here, so the two are the same.
 */
export function verifiedResult(
  checked: RunResult,
  resolve: Pick<ResolveOf, 'runId' | 'by'>,
  answer: VerifyAnswer,
  outcome: Outcome,
  request: string,
): RunResult {
  const verified: Verified = {
    runId: resolve.runId,
    by: resolve.by,
    at: checked.endedAt,
    exitCode: checked.exitCode,
    answer,
  };
  return { ...checked, outcome, request, verified };
}

/** What verify's ending makes of the key: its answer, the outcome, and the failure that says so. */
export interface VerifyVerdict {
  answer: VerifyAnswer;
  outcome: Outcome;
  /** How the resolve run fails (not done, cannot tell); none when verify found the work done. */
  failureType?: string;
  message?: string;
}

/**
 * Verify exited 0: done. It failed with exit code 1: not done. Anything else (another code, a timeout, a
 * cancel, no process at all): it cannot tell. Both the resolve workflow and the activity that records the
 * answer in the key store decide it here.
 */
export function verifyVerdict(
  resolve: Pick<ResolveOf, 'runId'>,
  script: string,
  ended: { failureType?: string; failureMessage?: string; exitCode?: number | null },
): VerifyVerdict {
  if (ended.failureType === undefined) return { answer: 'done', outcome: 'succeeded' };
  if (ended.failureType === RunFailureTypes.failed && ended.exitCode === 1) {
    return {
      answer: 'not_done',
      outcome: 'failed',
      failureType: RunFailureTypes.verifiedNotDone,
      message: `Verify found the work of run ${resolve.runId} not done: the key's outcome is now failed, and an explicit retry may run ${script}.`,
    };
  }
  return {
    answer: 'unknown',
    outcome: 'outcome_unknown',
    failureType: RunFailureTypes.outcomeUnknown,
    message: `Verify could not tell whether run ${resolve.runId} did its work (${ended.failureMessage}); the outcome stays unknown.`,
  };
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
   * The canonical request the run was for (as in its memo), stamped by the workflow, so the result alone
   * says which request it answers.
   */
  request?: string;
  /**
   * Set on the result of a resolve run. Its process fields (exit code, output, times) are then the verify
   * command's: the script itself did not run in that run.
   */
  verified?: Verified;
}

export interface BatchOrder {
  orderId: string;
  amount: number;
}

/**
 * A batch's coordinator. It holds no orders: they are in its parts (`batch-<id>:part-<n>`, started before
 * it, see src/runs/start-batch.ts), which it runs one after another and awaits; it keeps only counts, so
 * each of its runs stays small and it continues as new every `continueAsNewAfter` parts.
 */
export interface OrchestratorInput {
  batchId: string;
  /** How many parts hold the orders; part n's workflow ID is batchPartWorkflowId(batchId, n). */
  parts: number;
  total: number;
  /** SHA-256 of the canonical order list, the batch's fingerprint. */
  ordersSha256: string;
  /** Orders in flight at once, across the whole batch. Default: 50. */
  maxConcurrent?: number;
  /** Parts handled per run before it continues as new. Default: 100. */
  continueAsNewAfter?: number;
  /** What earlier runs of this batch did, carried across continue-as-new. */
  carried?: BatchCarry;
}

export interface BatchCarry {
  nextPart: number;
  /** Counts of the orders reported by the parts that have ended. */
  reported: OrderCounts;
  cancel?: CancelBatch;
}

/** One part of a batch: up to 1,000 orders by default, run when the coordinator says so. */
export interface BatchPartInput {
  batchId: string;
  part: number;
  orders: BatchOrder[];
}

export interface BatchPartResult {
  batchId: string;
  part: number;
  orders: BatchOrder[];
  /** One slim report per order, in order; null for an order never started (the batch was cancelled). */
  reports: (OrderReport | null)[];
  progress: BatchProgress;
}

/** Sent to a batch (and by it to its running part) to stop starting orders. */
export interface CancelBatch {
  /** Also cancel the orders this batch started that are still running (they end `cancelled`). */
  killRunning: boolean;
}

/** Sent by a batch to a part: run your orders, this many at once. */
export interface RunPart {
  maxConcurrent: number;
}

export type OrderOutcome = 'executed' | 'already_done' | 'conflict';

/** The slim report of one order: never its output, which stays with the order's own run. */
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

/**
 * Where an order stands, each order in exactly one: an order this batch executed is `succeeded`,
 * `failed` (failed, timed out or cancelled) or `unknown` (outcome unknown or terminated: it may or may not
 * have done its work); the others are `already_done`, `conflict`, or `pending` (no report yet, or never
 * started because the batch was cancelled).
 */
export type OrderStatus = 'succeeded' | 'failed' | 'unknown' | 'already_done' | 'conflict' | 'pending';
export const ORDER_STATUSES: readonly OrderStatus[] = [
  'succeeded',
  'failed',
  'unknown',
  'already_done',
  'conflict',
  'pending',
];

export function orderStatus(report: OrderReport | null | undefined): OrderStatus {
  if (!report) return 'pending';
  if (report.disposition === 'conflict') return 'conflict';
  if (report.disposition === 'already_done') return 'already_done';
  if (report.outcome === 'succeeded') return 'succeeded';
  return report.outcome === 'outcome_unknown' || report.outcome === 'terminated' ? 'unknown' : 'failed';
}

/** Reported orders by status (everything but `pending`, which follows from the total). */
export interface OrderCounts {
  succeeded: number;
  failed: number;
  unknown: number;
  alreadyDone: number;
  conflict: number;
}

export interface BatchProgress extends OrderCounts {
  total: number;
  /** Orders with a report: total - pending. */
  done: number;
  pending: number;
}

const COUNT_OF: Record<Exclude<OrderStatus, 'pending'>, keyof OrderCounts> = {
  succeeded: 'succeeded',
  failed: 'failed',
  unknown: 'unknown',
  already_done: 'alreadyDone',
  conflict: 'conflict',
};

export function countReports(reports: readonly (OrderReport | null)[]): OrderCounts {
  const counts = noCounts();
  for (const report of reports) {
    const status = orderStatus(report);
    if (status !== 'pending') counts[COUNT_OF[status]]++;
  }
  return counts;
}

export function noCounts(): OrderCounts {
  return { succeeded: 0, failed: 0, unknown: 0, alreadyDone: 0, conflict: 0 };
}

export function addCounts(a: OrderCounts, b: OrderCounts): OrderCounts {
  return {
    succeeded: a.succeeded + b.succeeded,
    failed: a.failed + b.failed,
    unknown: a.unknown + b.unknown,
    alreadyDone: a.alreadyDone + b.alreadyDone,
    conflict: a.conflict + b.conflict,
  };
}

export function progressOf(total: number, counts: OrderCounts): BatchProgress {
  const done = counts.succeeded + counts.failed + counts.unknown + counts.alreadyDone + counts.conflict;
  return { total, done, pending: total - done, ...counts };
}

/** The canonical request of a batch: its orders by count and digest, never the list itself. */
export function batchRequest(total: number, ordersSha256: string) {
  return { script: PAYMENT_SCRIPT, args: { orders: total, ordersSha256 } };
}

/** What a batch's coordinator returns: counts only; the orders are listed from its parts. */
export interface BatchResult {
  batchId: string;
  workflowId: string;
  runId: string;
  startedAt: string;
  progress: BatchProgress;
  /** The batch was cancelled: orders it had not started are `pending`. */
  cancelled: boolean;
  /** As RunResult.request. */
  request?: string;
}

/** What a running batch's coordinator answers to {@link BATCH_STATE_QUERY}. */
export interface BatchState {
  batchId: string;
  total: number;
  parts: number;
  startedAt: string;
  /** Counts of the parts that have ended. */
  reported: OrderCounts;
  /** The part running now (its workflow ID), whose own counts complete `reported`. */
  currentPart?: string;
  cancelling: boolean;
}

/** Query a batch's coordinator answers with its {@link BatchState}. */
export const BATCH_STATE_QUERY = 'batchState';
/** Query a part answers with its {@link OrderCounts}. */
export const PART_COUNTS_QUERY = 'partCounts';
/** Query a part answers with a page of its orders: args (offset, limit, status?), result {@link PartPage}. */
export const PART_ORDERS_QUERY = 'partOrders';

export interface PartPage {
  /** Reports from `offset` on, each with its index in the part; null where an order has no report yet. */
  entries: { index: number; order: BatchOrder; report: OrderReport | null }[];
  /** Index to ask for next; absent when the part has no more. */
  next?: number;
}

/** Orders of a part from `offset` on, at most `limit`, only those with `status` if given. */
export function pageOfPart(
  orders: readonly BatchOrder[],
  reports: readonly (OrderReport | null)[],
  offset: number,
  limit: number,
  status?: OrderStatus,
): PartPage {
  const entries: PartPage['entries'] = [];
  let index = Math.max(0, offset);
  for (; index < orders.length && entries.length < limit; index++) {
    const report = reports[index] ?? null;
    if (status === undefined || orderStatus(report) === status)
      entries.push({ index, order: orders[index]!, report });
  }
  return index < orders.length ? { entries, next: index } : { entries };
}

export const BatchSignals = { cancel: 'cancelBatch', runPart: 'runPart' } as const;

/** Input of the activity that starts (or attaches to) one order's payment run and reports it slimly. */
export interface CollectOrderInput {
  /** The batch's workflow ID, recorded on the runs it starts so a retried start still knows it ran them. */
  batchWorkflowId: string;
  orderId: string;
  amount: number;
}

/**
 * The semaphore of a script with a `maxConcurrent` cap: one workflow per script, `semaphore-<script>@<queue>`,
 * handing out permits. A run asks with signal-with-start, gets a signal back, and releases with a signal
 * when it ends (whatever way it ends; a run that ends without releasing, e.g. terminated, is reclaimed).
 */
export interface SemaphoreInput {
  script: string;
  permits: number;
  holders?: PermitHolder[];
  waiting?: PermitHolder[];
}

export interface PermitHolder {
  workflowId: string;
  runId: string;
}

export interface PermitRequest extends PermitHolder {
  script: string;
}

export const SemaphoreSignals = {
  acquire: 'acquirePermit',
  release: 'releasePermit',
  granted: 'permitGranted',
} as const;
/** The semaphore's argument to `acquirePermit`: the requester, and the cap from the worker's registry. */
export interface AcquirePermit extends PermitHolder {
  permits: number;
}
/** Query a semaphore answers with its holders. */
export const SEMAPHORE_HOLDERS_QUERY = 'holders';

/** Each workflow type's input, so a start names its type and its input together. */
export interface WorkflowInputs {
  ScriptRunWorkflow: ScriptRunInput;
  SinglePaymentCollectionWorkflow: PaymentInput;
  OrchestratorWorkflow: OrchestratorInput;
  BatchPartWorkflow: BatchPartInput;
  ScriptSemaphoreWorkflow: SemaphoreInput;
}

export type WorkflowType = keyof WorkflowInputs;

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
/** Part n of a batch. `:` is not allowed in batch IDs, so no batch's part can take another batch's ID. */
export function batchPartWorkflowId(batchId: string, part: number): string {
  return `${batchWorkflowId(batchId)}:part-${part}`;
}

/**
 * The semaphore of a capped script on one installation's task queue: the installation's workers serve it,
 * and installations sharing a namespace keep their caps apart.
 */
export function semaphoreWorkflowId(script: string, taskQueue: string): string {
  return `semaphore-${script}@${taskQueue}`;
}

/** The task queue of batches' activities that wait for orders, so they never take a script's slot. */
export function batchTaskQueue(taskQueue: string): string {
  return `${taskQueue}-batch`;
}
