// A batch's progress counts and its per-order report, a page at a time.
import { InvalidRequestError } from '../errors.js';
import type { BatchProgress, OrderReport } from '../workflows/contract.js';

/** How far a batch is. The counts by outcome are known once orders report; `pending` have not yet. */
export interface BatchCounts extends BatchProgress {
  pending: number;
  succeeded?: number;
  failed?: number;
  unknown?: number;
  alreadyDone?: number;
  conflict?: number;
}

export function countsOf(orders: readonly OrderReport[]): BatchCounts {
  const count = (keep: (o: OrderReport) => boolean) => orders.filter(keep).length;
  return {
    total: orders.length,
    done: orders.length,
    pending: 0,
    succeeded: count((o) => o.outcome === 'succeeded'),
    failed: count((o) => !['succeeded', 'outcome_unknown', 'conflict'].includes(o.outcome)),
    unknown: count((o) => o.outcome === 'outcome_unknown'),
    alreadyDone: count((o) => o.disposition === 'already_done'),
    conflict: count((o) => o.disposition === 'conflict'),
  };
}

/** A running batch's progress as its query reports it. */
export function runningCounts(progress: BatchProgress): BatchCounts {
  return { pending: progress.total - progress.done, ...progress };
}

const ORDER_STATUSES = [
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'terminated',
  'outcome_unknown',
  'conflict',
] as const;

export interface OrderPageQuery {
  cursor?: string;
  status?: string;
  limit?: string;
}

/** One page of orders (with `status`, if given, as their outcome); `nextCursor` asks for the next one. */
export function pageOfOrders(
  orders: readonly OrderReport[],
  q: OrderPageQuery,
): { orders: OrderReport[]; nextCursor?: string } {
  if (q.status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(q.status)) {
    throw new InvalidRequestError(`"status" is one of ${ORDER_STATUSES.join(', ')}.`, 'status');
  }
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidRequestError('"limit" is a whole number from 1 to 1000.', 'limit');
  }
  // The cursor is the position in the filtered report; a batch's report does not change once it ended.
  const from = q.cursor === undefined ? 0 : Number(q.cursor);
  if (!/^\d{1,9}$/.test(q.cursor ?? '0')) {
    throw new InvalidRequestError('"cursor" is the nextCursor of an earlier page.', 'cursor');
  }
  const matching = q.status === undefined ? orders : orders.filter((o) => o.outcome === q.status);
  const page = matching.slice(from, from + limit);
  const next = from + page.length;
  return next < matching.length ? { orders: page, nextCursor: String(next) } : { orders: page };
}
