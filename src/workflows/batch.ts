// A batch of any size. The orders live in the batch's parts (see batch-part.ts), which src/runs starts
// before this coordinator; the coordinator runs them one after another, so at most maxConcurrent orders of
// the batch are in flight at once, and keeps only counts. Every `continueAsNewAfter` parts it continues as
// new with its progress, so no run's history grows with the batch: see docs/batches.md, "History bounds".
//
// Each order runs as its own top-level payment run (workflow ID `payment-<orderId>`, the ID a standalone
// request uses), and each row of another script as its own run under its key, started through the one
// start-or-attach path: a batch never charges an order that was already charged alone or by another batch,
// and a standalone request for an order attaches to the batch's run. The runs are not child workflows, so their output never comes back into a batch's history.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BatchActivities } from '../activities/types.js';
import {
  BATCH_STATE_QUERY,
  addCounts,
  batchRequest,
  noCounts,
  progressOf,
  type CancelBatch,
  type OrchestratorInput,
} from '../shared/batches.js';
import { batchPartWorkflowId, batchTaskQueue } from '../shared/ids.js';
import { canonicalJson } from '../shared/runs.js';
import { cancelBatchSignal, runPartSignal } from './batch-part.js';
import { waitingActivities } from './waiting-activities.js';
import type { BatchResult, BatchState } from '../shared/schemas/batches.js';

export const batchStateQuery = defineQuery<BatchState>(BATCH_STATE_QUERY);

const DEFAULT_MAX_CONCURRENT = 50;
const DEFAULT_CONTINUE_AS_NEW_AFTER = 100;

export async function OrchestratorWorkflow(input: OrchestratorInput): Promise<BatchResult> {
  const { noteBatchFinished } = proxyActivities<BatchActivities>({
    taskQueue: batchTaskQueue(workflowInfo().taskQueue),
    // One write to the key store: tried until the store answers, as everything else there is.
    startToCloseTimeout: '1 minute',
    retry: { maximumInterval: '1 minute' },
  });
  // Awaiting a part only reads it; it may take as long as the part's orders.
  const { awaitBatchPart } = waitingActivities();
  let reported = input.carried?.reported ?? noCounts();
  let cancel = input.carried?.cancel;
  let current: string | undefined;
  const tell = (workflowId: string, req: CancelBatch) =>
    getExternalWorkflowHandle(workflowId)
      .signal(cancelBatchSignal, req)
      .catch(() => undefined); // a part that has ended has nothing left to stop

  setHandler(cancelBatchSignal, async (req) => {
    cancel = { killRunning: (cancel?.killRunning ?? false) || req.killRunning };
    if (current) await tell(current, cancel);
  });
  setHandler(batchStateQuery, () => ({
    batchId: input.batchId,
    total: input.total,
    parts: input.parts,
    startedAt: workflowInfo().startTime.toISOString(),
    reported,
    currentPart: current,
    cancelling: cancel !== undefined,
  }));

  const perRun = Math.max(1, input.continueAsNewAfter ?? DEFAULT_CONTINUE_AS_NEW_AFTER);
  let next = input.carried?.nextPart ?? 0;
  for (let handled = 0; next < input.parts; handled++, next++) {
    if (handled === perRun) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof OrchestratorWorkflow>({
        ...input,
        carried: { nextPart: next, reported, ...(cancel ? { cancel } : {}) },
      });
    }
    const part = batchPartWorkflowId(input.batchId, next);
    if (cancel) {
      // Cancelled: the parts not yet run end at once, their orders pending.
      await tell(part, cancel);
      continue;
    }
    current = part;
    try {
      await getExternalWorkflowHandle(part).signal(runPartSignal, {
        maxConcurrent: input.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
      });
    } catch (err) {
      // A cancel that reached the part first has already ended it.
      if (cancel) {
        current = undefined;
        continue;
      }
      throw ApplicationFailure.nonRetryable(
        `Part ${next} of batch "${input.batchId}" (${part}) is missing or has ended, so its orders cannot run (${(err as Error).message}). Send the batch again under a new batch ID.`,
        'BatchPartMissing',
      );
    }
    reported = addCounts(reported, await awaitBatchPart({ workflowId: part }));
    current = undefined;
  }
  await condition(allHandlersFinished);
  const result: BatchResult = {
    batchId: input.batchId,
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    startedAt: workflowInfo().startTime.toISOString(),
    progress: progressOf(input.total, reported),
    cancelled: cancel !== undefined,
    request: canonicalJson(batchRequest(input.total, input.ordersSha256, input.script)),
  };
  // Batches that ended before notifications existed replay without this step.
  if (patched(NOTIFY_BATCH_FINISHED)) await noteBatchFinished(result);
  return result;
}

/** The patch that added the batch.finished notification to a batch's end. */
const NOTIFY_BATCH_FINISHED = 'notify-batch-finished';
