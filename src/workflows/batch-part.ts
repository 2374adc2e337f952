// One part of a batch: up to a part's worth of its orders or rows (1,000 by default), held as this workflow's
// input so no single payload holds a whole batch. It waits until the batch's coordinator tells it to run,
// then runs its orders, up to the batch's maxConcurrent at once, each through the `collectOrder` activity:
// the activity starts (or attaches to) the order's own payment run (a row's run of its script) through the one start-or-attach path
// and returns a slim report, so no script output ever enters this history. The reports stay in this part
// (its state, its result), where GET /v1/batches/{id}/orders pages through them.
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import {
  BatchSignals,
  PART_COUNTS_QUERY,
  PART_ORDERS_QUERY,
  countReports,
  isScriptRow,
  pageOfPart,
  progressOf,
  type BatchPartInput,
  type CancelBatch,
  type RunPart,
} from '../shared/batches.js';
import { batchWorkflowId } from '../shared/ids.js';
import { PAYMENT_SCRIPT } from '../shared/runs.js';
import type {
  BatchPartResult,
  OrderCounts,
  OrderReport,
  OrderStatus,
  PartPage,
} from '../shared/schemas/batches.js';
import { waitingActivities } from './waiting-activities.js';

export const runPartSignal = defineSignal<[RunPart]>(BatchSignals.runPart);
export const cancelBatchSignal = defineSignal<[CancelBatch]>(BatchSignals.cancel);
export const partCountsQuery = defineQuery<OrderCounts>(PART_COUNTS_QUERY);
export const partOrdersQuery = defineQuery<PartPage, [number, number, OrderStatus?]>(PART_ORDERS_QUERY);

export async function BatchPartWorkflow(input: BatchPartInput): Promise<BatchPartResult> {
  // A killed batch waits for its running payments to end cancelled, and reports them so.
  const { collectOrder } = waitingActivities({
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const reports: (OrderReport | null)[] = input.orders.map(() => null);
  let run: RunPart | undefined;
  let stopped = false;
  const lanes = new CancellationScope();
  setHandler(runPartSignal, (go) => {
    run ??= go;
  });
  setHandler(cancelBatchSignal, ({ killRunning }) => {
    stopped = true;
    if (killRunning) lanes.cancel();
  });
  setHandler(partCountsQuery, () => countReports(reports));
  setHandler(partOrdersQuery, (offset, limit, status) =>
    pageOfPart(input.orders, reports, offset, limit, status),
  );

  await condition(() => run !== undefined || stopped);
  if (run && !stopped) {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (!stopped && next < input.orders.length) {
        const index = next++;
        const item = input.orders[index]!;
        const batchWorkflow = batchWorkflowId(input.batchId);
        try {
          reports[index] = await collectOrder(
            isScriptRow(item)
              ? {
                  batchWorkflowId: batchWorkflow,
                  script: input.script ?? PAYMENT_SCRIPT,
                  key: item.key,
                  args: item.args,
                }
              : { batchWorkflowId: batchWorkflow, orderId: item.orderId, amount: item.amount },
          );
        } catch (err) {
          // Killed while attached to a run this batch did not start: not ours to cancel, so it stays pending.
          if (isCancellation(err)) return;
          throw err;
        }
      }
    };
    const width = Math.max(1, Math.min(run.maxConcurrent, input.orders.length));
    await lanes
      .run(() => Promise.all(Array.from({ length: width }, lane)))
      .catch((err: unknown) => {
        if (!isCancellation(err)) throw err;
      });
  }
  return {
    batchId: input.batchId,
    part: input.part,
    orders: input.orders,
    reports,
    progress: progressOf(input.orders.length, countReports(reports)),
  };
}
