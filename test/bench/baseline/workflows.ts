// The raw-SDK baseline workflows: what a careful user would write by hand with the SDK alone.
import {
  ChildWorkflowFailure,
  continueAsNew,
  executeChild,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { RawActivities, RawOrder, RawOutput } from './activities.js';

// One activity, at most once, with the timeouts SuperScript derives from the registry entry of
// collect-payment (timeoutSeconds 60 + killGraceSeconds 5 + 60 s backstop; heartbeat 10 s).
const { collectPayment } = proxyActivities<RawActivities>({
  startToCloseTimeout: '125 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

export async function RawPaymentWorkflow(order: RawOrder): Promise<RawOutput> {
  return collectPayment(order);
}

export interface RawBatch {
  orders: RawOrder[];
  maxConcurrent: number;
  /** Carried over continue-as-new: orders handled and succeeded by the earlier runs. */
  done?: number;
  succeeded?: number;
}

export interface RawBatchResult {
  total: number;
  succeeded: number;
}

/**
 * The original design's batch: one child workflow per order (under the order's own workflow ID), at most
 * `maxConcurrent` at once. When the server suggests it (the history nears its size limits), it stops taking
 * orders, lets the children in flight finish and continues as new with the rest.
 */
export async function RawBatchWorkflow(batch: RawBatch): Promise<RawBatchResult> {
  let next = 0;
  let succeeded = batch.succeeded ?? 0;
  const lanes = Math.max(1, Math.min(batch.maxConcurrent, batch.orders.length));
  // Each run takes at least one order per lane, so a run that starts with the suggestion set still moves on.
  const more = () => next < batch.orders.length && (next < lanes || !workflowInfo().continueAsNewSuggested);
  const lane = async (): Promise<void> => {
    while (more()) {
      const order = batch.orders[next++]!;
      try {
        await executeChild(RawPaymentWorkflow, { workflowId: `payment-${order.orderId}`, args: [order] });
        succeeded++;
      } catch (err) {
        if (!(err instanceof ChildWorkflowFailure)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const done = (batch.done ?? 0) + next;
  if (next < batch.orders.length) {
    await continueAsNew<typeof RawBatchWorkflow>({
      orders: batch.orders.slice(next),
      maxConcurrent: batch.maxConcurrent,
      done,
      succeeded,
    });
  }
  return { total: done, succeeded };
}
