// What R3 and R4 share: start a batch over HTTP, wait for it while tolerating an outage, and judge the
// ledger against the batch's own report.
import { httpRequest } from '../http.js';
import { eventually } from '../../support/poll.js';
import type { Invariants } from '../scenario.js';
import type { Stack } from '../stack.js';

export interface OrderReport {
  orderId: string;
  outcome: string;
  disposition: string;
  /** The order's payment run (of workflow `payment-<orderId>`). */
  runId?: string;
}

export interface BatchView {
  status: string;
  progress?: { total: number; done: number };
  /** Every order's report, paged from GET /v1/batches/:id/orders once the batch has ended. */
  orders: OrderReport[];
}

export async function startBatch(
  apiUrl: string,
  batchId: string,
  orders: { orderId: string; amount: number }[],
  maxConcurrent: number,
): Promise<void> {
  const res = await httpRequest(apiUrl, {
    method: 'POST',
    path: '/v1/batches',
    body: { batchId, orders, maxConcurrent },
  });
  if (res.status !== 202 && res.status !== 200)
    throw new Error(`batch start answered ${res.status}: ${res.text}`);
}

/**
 * Polls GET /v1/batches/:id until the batch has ended (errors while a server is down are retried), then
 * reads all its orders.
 */
export async function awaitBatch(apiUrl: string, batchId: string, timeoutMs: number): Promise<BatchView> {
  const ended = await eventually(
    `batch ${batchId} to end`,
    async () => {
      const res = await httpRequest(apiUrl, {
        method: 'GET',
        path: `/v1/batches/${batchId}`,
        timeoutMs: 10_000,
      }).catch(() => undefined);
      const view = res?.status === 200 ? (res.json as Omit<BatchView, 'orders'>) : undefined;
      return view && view.status !== 'running' ? view : undefined;
    },
    timeoutMs,
    500,
  );
  const orders: OrderReport[] = [];
  let cursor = '';
  do {
    const res = await httpRequest(apiUrl, {
      method: 'GET',
      path: `/v1/batches/${batchId}/orders?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      timeoutMs: 30_000,
    });
    const page = res.json as { orders: OrderReport[]; nextCursor?: string };
    orders.push(...page.orders);
    cursor = page.nextCursor ?? '';
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
