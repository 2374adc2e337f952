// What R3 and R4 share: start a batch over HTTP, wait for it while tolerating an outage, and judge the
// ledger against the batch's own report.
import { ApiClient } from '../../../src/shared/api-client.js';
import type { BatchOrderView, BatchView as Batch } from '../../../src/shared/schemas/batches.js';
import { eventually } from '../../support/poll.js';
import type { Invariants } from '../scenario.js';
import type { Stack } from '../stack.js';

export type { BatchOrderView as OrderReport } from '../../../src/shared/schemas/batches.js';

/** A batch as it ended, with every order's report, paged from GET /v1/batches/:id/orders. */
export type BatchView = Batch & { orders: BatchOrderView[] };

export async function startBatch(
  apiUrl: string,
  batchId: string,
  orders: { orderId: string; amount: number }[],
  maxConcurrent: number,
): Promise<void> {
  await new ApiClient({ baseUrl: apiUrl }).startBatch({ batchId, orders, maxConcurrent });
}

/**
 * Polls GET /v1/batches/:id until the batch has ended (errors while a server is down are retried), then
 * reads all its orders.
 */
export async function awaitBatch(apiUrl: string, batchId: string, timeoutMs: number): Promise<BatchView> {
  // A server that is down may leave a read unanswered: each read gives up in time and is tried again.
  const reading = new ApiClient({ baseUrl: apiUrl, timeoutMs: 10_000 });
  const ended = await eventually(
    `batch ${batchId} to end`,
    async () => {
      const view = await reading.readBatch(batchId).catch(() => undefined);
      return view && view.status !== 'running' ? view : undefined;
    },
    timeoutMs,
    500,
  );
  const paging = new ApiClient({ baseUrl: apiUrl, timeoutMs: 30_000 });
  const orders: BatchOrderView[] = [];
  let cursor: string | undefined;
  do {
    const page = await paging.batchOrders(batchId, { limit: 1000, cursor });
    orders.push(...page.orders);
    cursor = page.nextCursor;
  } while (cursor);
  return { ...ended, orders };
}

export interface ChargeFigures {
  ordersReported: number;
  reportedSucceeded: number;
  reportedOutcomeUnknown: number;
  reportedOther: number;
  chargedOnce: number;
  chargedNever: number;
  chargedTwiceOrMore: number;
  paymentWorkflows: number;
}

/**
 * Checks that hold after any fault: the batch ended succeeded with one report per order; no order charged
 * twice; every order reported succeeded (then charged exactly once) or outcome_unknown (its script may or
 * may not have charged), never failed or anything else, since no payment script fails; an order not charged
 * says outcome_unknown.
 */
export async function judgeBatch(
  inv: Invariants,
  stack: Stack,
  view: BatchView,
  orderIds: string[],
  /** Orders the scenario pays itself, outside the batch (R6's probe); they are no stray charges. */
  ownOrders: string[] = [],
): Promise<ChargeFigures> {
  const charges = stack.chargesByOrder();
  const reports = new Map(view.orders.map((o) => [o.orderId, o]));
  const outcome = (id: string) => reports.get(id)?.outcome;
  const charged = (id: string) => charges.get(id) ?? 0;
  // Visibility counts the payment runs: a second run for an order would be a second workflow.
  let paymentWorkflows = -1;
  await eventually(
    'visibility to count the payment runs',
    async () => {
      const others = ownOrders.map((id) => ` AND WorkflowId != 'payment-${id}'`).join('');
      paymentWorkflows = await stack.countWorkflows(
        `WorkflowType = 'SinglePaymentCollectionWorkflow'${others}`,
      );
      return paymentWorkflows === orderIds.length ? true : undefined;
    },
    15_000,
    250,
  ).catch(() => undefined);

  inv.check(view.status === 'succeeded', `the batch ended ${view.status}`);
  inv.check(
    view.progress?.total === orderIds.length && reports.size === orderIds.length,
    `the batch reported ${reports.size} orders of ${orderIds.length}`,
  );
  inv.check(
    paymentWorkflows === orderIds.length,
    `${paymentWorkflows} payment runs for ${orderIds.length} orders`,
  );
  const stray = [...charges.keys()].filter((id) => !orderIds.includes(id) && !ownOrders.includes(id));
  inv.check(stray.length === 0, `ledger lines for orders not in the batch: ${stray.slice(0, 5).join(', ')}`);
  for (const id of orderIds) {
    inv.check(charged(id) <= 1, `order ${id} charged ${charged(id)} times`);
    if (outcome(id) === 'succeeded')
      inv.check(charged(id) === 1, `order ${id} reported succeeded, charged ${charged(id)}`);
    else
      inv.check(
        outcome(id) === 'outcome_unknown',
        `order ${id} charged ${charged(id)} times, reported ${outcome(id) ?? 'nothing'}`,
      );
  }
  const ids = (pred: (id: string) => boolean) => orderIds.filter(pred).length;
  return {
    ordersReported: reports.size,
    reportedSucceeded: ids((id) => outcome(id) === 'succeeded'),
    reportedOutcomeUnknown: ids((id) => outcome(id) === 'outcome_unknown'),
    reportedOther: ids((id) => outcome(id) !== 'succeeded' && outcome(id) !== 'outcome_unknown'),
    chargedOnce: ids((id) => charged(id) === 1),
    chargedNever: ids((id) => charged(id) === 0),
    chargedTwiceOrMore: ids((id) => charged(id) >= 2),
    paymentWorkflows,
  };
}
