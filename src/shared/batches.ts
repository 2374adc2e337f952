// What a batch is across the Temporal boundary: its workflow's (OrchestratorWorkflow's) and its parts' inputs,
// counting and paging the slim reports of its orders, and the queries and signals they answer. Pure code: the
// shapes it names are zod schemas (./schemas/batches.ts), imported here as types only.
import { paymentWorkflowId } from './ids.js';
import { PAYMENT_SCRIPT } from './runs.js';
import type {
  BatchItem,
  BatchProgress,
  DecisionAction,
  DecisionProgress,
  OrderCounts,
  OrderReport,
  OrderStatus,
  PartPage,
  ScriptRow,
} from './schemas/batches.js';
import type { ScriptArgs } from './schemas/runs.js';

/**
 * A batch's coordinator. It holds no orders: they are in its parts (`batch-<id>:part-<n>`, started before
 * it, see src/runs/batches/start.ts), which it runs one after another and awaits; it keeps only counts, so
 * each of its runs stays small and it continues as new every `continueAsNewAfter` parts.
 */
export interface OrchestratorInput {
  batchId: string;
  /** How many parts hold the orders; part n's workflow ID is batchPartWorkflowId(batchId, n). */
  parts: number;
  total: number;
  /** SHA-256 of the canonical order list, the batch's fingerprint. */
  ordersSha256: string;
  /** The registered script its rows run; absent: the payment script, its parts holding orders. */
  script?: string;
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

/** One part of a batch: up to 1,000 orders (or rows) by default, run when the coordinator says so. */
export interface BatchPartInput {
  batchId: string;
  part: number;
  /** Payment orders, or, with `script`, that script's rows. */
  orders: BatchItem[];
  /** The registered script the rows run; absent: the payment script, every entry an order. */
  script?: string;
}

export function isScriptRow(item: BatchItem): item is ScriptRow {
  return 'key' in item;
}

/** An order's key is its payment's; a row's was formed when its batch was checked. */
export function itemKey(item: BatchItem): string {
  return isScriptRow(item) ? item.key : paymentWorkflowId(item.orderId);
}

/** How an order or a row is shown beside its key: the order's ID and amount, or the row's arguments. */
export function itemFields(item: BatchItem): { orderId?: string; amount?: number; args?: ScriptArgs } {
  return isScriptRow(item) ? { args: item.args } : { orderId: item.orderId, amount: item.amount };
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

export function orderStatus(report: OrderReport | null | undefined): OrderStatus {
  if (!report) return 'pending';
  if (report.disposition === 'conflict') return 'conflict';
  if (report.disposition === 'already_done') return 'already_done';
  if (report.outcome === 'succeeded') return 'succeeded';
  return report.outcome === 'outcome_unknown' || report.outcome === 'terminated' ? 'unknown' : 'failed';
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

/** The canonical request of a batch: its script, and its orders (or rows) by count and digest, never the list itself. */
export function batchRequest(total: number, ordersSha256: string, script?: string) {
  return { script: script ?? PAYMENT_SCRIPT, args: { orders: total, ordersSha256 } };
}

/** Query a batch's coordinator answers with its BatchState. */
export const BATCH_STATE_QUERY = 'batchState';

/** Query a part answers with its OrderCounts. */
export const PART_COUNTS_QUERY = 'partCounts';

/** Query a part answers with a page of its orders: args (offset, limit, status?), result PartPage. */
export const PART_ORDERS_QUERY = 'partOrders';

/** Orders of a part from `offset` on, at most `limit`, only those with `status` if given. */
export function pageOfPart(
  orders: readonly BatchItem[],
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

/**
 * Input of the activity that starts (or attaches to) one order's payment run, or one row's run of its
 * script, and reports it slimly.
 */
export type CollectOrderInput = {
  /** The batch's workflow ID, recorded on the runs it starts so a retried start still knows it ran them. */
  batchWorkflowId: string;
} & ({ orderId: string; amount: number } | { script: string; key: string; args: ScriptArgs });

/**
 * A bulk decision on a batch (BatchDecisionWorkflow, `batch-<id>:<action>`): it pages through the batch's
 * orders and retries or resolves each eligible one through the same path as a single run's retry or resolve.
 */
export interface DecisionInput {
  batchId: string;
  action: DecisionAction;
  /** The token's name that asked; recorded on every grant the decision makes. */
  by: string;
  /** Orders acted on at once. Default: 10. */
  maxConcurrent?: number;
  /** Pages of orders per run before it continues as new. Default: 20. */
  continueAsNewAfter?: number;
  carried?: DecisionCarry;
}

export interface DecisionCarry {
  /** The batch's orders cursor to read next; absent at the start. */
  cursor?: string;
  progress: DecisionProgress;
  lastError?: string;
}

/** Query a bulk decision answers with its DecisionState. */
export const DECISION_STATE_QUERY = 'decisionState';

export function noDecisionProgress(): DecisionProgress {
  return {
    looked: 0,
    eligible: 0,
    done: 0,
    skipped: 0,
    failed: 0,
    succeeded: 0,
    stillFailed: 0,
    stillUnknown: 0,
  };
}

/**
 * Which orders, as the batch reported them, a decision looks at: their keys then say whether it applies
 * (retry: an unknown that verify found not done has failed since; resolve: only keys still unknown).
 */
export function candidateFor(action: DecisionAction, status: OrderStatus): boolean {
  return status === 'unknown' || (action === 'retry' && status === 'failed');
}

/** A page of a batch's orders that a decision applies to. */
export interface DecisionPage {
  /** Orders read, eligible or not. */
  looked: number;
  /** The eligible orders' keys. */
  keys: string[];
  nextCursor?: string;
}

/** One order of a bulk decision: retry or resolve the key `key`, on `by`'s word. */
export interface DecideOrderInput {
  batchId: string;
  action: DecisionAction;
  key: string;
  by: string;
}

/** What became of one order: skipped (its key no longer allows the action), or the outcome of its new run. */
export type DecideOrderResult =
  | { disposition: 'skipped'; reason: string }
  | { disposition: 'acted'; outcome: 'succeeded' | 'failed' | 'outcome_unknown' };
