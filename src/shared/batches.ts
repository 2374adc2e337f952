// What a batch is across the Temporal boundary: its workflow's (OrchestratorWorkflow's) and its parts' inputs,
// the slim report of each order, counts and progress, and the queries and signals they answer. Pure code.
import { PAYMENT_SCRIPT, type Outcome } from './runs.js';

export interface BatchOrder {
  orderId: string;
  amount: number;
}

/**
 * A batch's coordinator. It holds no orders: they are in its parts (`batch-<id>:part-<n>`, started before
 * it, see src/runs/batch-start.ts), which it runs one after another and awaits; it keeps only counts, so
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
