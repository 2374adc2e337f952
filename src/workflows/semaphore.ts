// A per-script concurrency cap that holds across every worker: one workflow per capped script,
// `semaphore-<script>@<task queue>`, hands out permits. Only runs of scripts with `maxConcurrent` in the registry use it.
// A run asks with signal-with-start (through a local activity, which also reads the cap from the worker's
// own registry), waits for the grant signal, runs, and releases with a signal in a `finally`, so a run that
// fails or is cancelled releases too. A run that ends without running any code (terminated) cannot: while
// others wait, the semaphore looks for such holders and takes their permits back.
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SemaphoreActivities } from '../activities/types.js';
import { semaphoreWorkflowId } from '../shared/ids.js';
import {
  SEMAPHORE_HOLDERS_QUERY,
  SemaphoreSignals,
  type AcquirePermit,
  type SemaphoreInput,
} from '../shared/semaphore.js';
import type { PermitHolder } from '../shared/schemas/semaphore.js';

export const acquireSignal = defineSignal<[AcquirePermit]>(SemaphoreSignals.acquire);
export const releaseSignal = defineSignal<[PermitHolder]>(SemaphoreSignals.release);
export const grantedSignal = defineSignal(SemaphoreSignals.granted);
export const holdersQuery = defineQuery<PermitHolder[]>(SEMAPHORE_HOLDERS_QUERY);

const { requestPermit, endedRuns } = proxyLocalActivities<SemaphoreActivities>({
  startToCloseTimeout: '30 seconds',
});

/** While someone waits and no permit is free, how often to look for holders that ended without releasing. */
const RECLAIM_INTERVAL = '30 seconds';
/** A semaphore with no holders and nobody waiting ends after this long; the next request starts it again. */
const IDLE_TIMEOUT = '5 minutes';
/** History length past which the semaphore continues as new with its holders and waiters. */
const HISTORY_LIMIT = 10_000;

/** Runs `work` holding one of `script`'s permits. */
export async function withPermit<T>(script: string, work: () => Promise<T>): Promise<T> {
  let granted = false;
  setHandler(grantedSignal, () => {
    granted = true;
  });
  const { workflowId, runId, taskQueue } = workflowInfo();
  try {
    if (await requestPermit({ script, workflowId, runId })) await condition(() => granted);
    return await work();
  } finally {
    // Also withdraws a request still waiting. A semaphore that is gone holds nothing to release.
    await CancellationScope.nonCancellable(() =>
      getExternalWorkflowHandle(semaphoreWorkflowId(script, taskQueue))
        .signal(releaseSignal, { workflowId, runId })
        .catch(() => undefined),
    );
  }
}

const keyOf = (h: PermitHolder) => `${h.workflowId}/${h.runId}`;

export async function ScriptSemaphoreWorkflow(input: SemaphoreInput): Promise<void> {
  let permits = input.permits;
  const holders = new Map((input.holders ?? []).map((h) => [keyOf(h), h]));
  let waiting: PermitHolder[] = [...(input.waiting ?? [])];
  setHandler(acquireSignal, ({ permits: cap, workflowId, runId }) => {
    permits = cap;
    const key = keyOf({ workflowId, runId });
    // A repeated request (its activity was retried) keeps its place.
    if (!holders.has(key) && !waiting.some((w) => keyOf(w) === key)) waiting.push({ workflowId, runId });
  });
  setHandler(releaseSignal, (holder) => {
    const key = keyOf(holder);
    holders.delete(key);
    waiting = waiting.filter((w) => keyOf(w) !== key);
  });
  setHandler(holdersQuery, () => [...holders.values()]);

  const grantable = () => waiting.length > 0 && holders.size < permits;
  const tooLong = () => workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested;
  for (;;) {
    while (grantable()) {
      const next = waiting.shift()!;
      holders.set(keyOf(next), next);
      try {
        await getExternalWorkflowHandle(next.workflowId, next.runId).signal(grantedSignal);
      } catch {
        holders.delete(keyOf(next)); // it ended while it waited
      }
    }
    if (tooLong()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof ScriptSemaphoreWorkflow>({
        script: input.script,
        permits,
        holders: [...holders.values()],
        waiting,
      });
    }
    if (holders.size === 0 && waiting.length === 0) {
      if (!(await condition(() => waiting.length > 0, IDLE_TIMEOUT))) return;
      continue;
    }
    if (waiting.length === 0) {
      await condition(() => waiting.length > 0 || holders.size === 0 || tooLong());
      continue;
    }
    if (!(await condition(() => grantable() || tooLong(), RECLAIM_INTERVAL))) {
      for (const ended of await endedRuns([...holders.values()])) holders.delete(keyOf(ended));
    }
  }
}
