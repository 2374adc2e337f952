// Starting a batch: its parts (each holding up to a part's worth of orders as its input), then its
// coordinator, each started or attached to by its workflow ID, so sending a batch again attaches to it.
// (Its orders each go through the key store's start-or-attach, in the collectOrder activity.)
//
// Why parts: Temporal takes at most 2 MB in one payload (a workflow input, a signal, a query result), so a
// batch of tens of thousands of orders cannot travel in one input, nor be carried across continue-as-new.
// Parts also keep each order's report beside its order, where the API pages through them, so no run's state
// grows with the batch. Why parts first: a coordinator that exists has all its parts. A request that fails
// midway leaves some parts waiting and no batch; sending it again starts the rest (those there attach).
import { runExists, type RunSource } from '../read.js';
import type { BatchPlan } from './specs.js';
import { startOrAttachWorkflow, startWorkflowRun } from '../start-workflow.js';
import type { StartOrAttach } from '../view.js';

/** Parts started at once. */
const PARALLEL_STARTS = 8;

export async function startBatch(
  src: RunSource,
  plan: BatchPlan,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  if (!(await runExists(src, plan.coordinator.workflowId))) {
    let next = 0;
    const starter = async () => {
      while (next < plan.parts.length) await startWorkflowRun(src, plan.parts[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_STARTS, plan.parts.length) }, starter));
  }
  return startOrAttachWorkflow(src, plan.coordinator, waitMs, signal);
}
