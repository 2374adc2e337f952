// An explicit retry: the only way a key runs again. Allowed for a run that failed, timed out, was
// cancelled, terminated or ended with its outcome unknown; never for one that succeeded or is still running.
// A caller may name the run it means (`runId`), so a retry meant for a run that was already retried is
// refused. A run whose outcome is unknown is verified first when its script declares a verify command.
import type { ScriptRegistry } from '../config/scripts.js';
import { RunStateError } from '../errors.js';
import type { RetryOf } from '../workflows/contract.js';
import { rerunSpec } from './requests.js';
import { verifyBeforeRetry } from './resolve.js';
import type { Runs } from './runs.js';
import type { StartOrAttach } from './start-or-attach.js';

export async function retryRun(
  runs: Runs,
  registry: ScriptRegistry,
  workflowId: string,
  who: { by: string; reason?: string; runId?: string },
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  const previous = await runs.describe(workflowId);
  const status = previous.status.name;
  if (status === 'RUNNING')
    throw new RunStateError(`Run "${workflowId}" is still running; wait for it or cancel it first.`);
  if (status === 'COMPLETED') {
    throw new RunStateError(
      `Run "${workflowId}" succeeded; a key that succeeded is never run again. Use a new key.`,
    );
  }
  if (who.runId && who.runId !== previous.runId) {
    throw new RunStateError(
      `Run ${who.runId} of "${workflowId}" was already retried; its latest run is ${previous.runId}. Send that run ID to retry again.`,
    );
  }
  const retried = await verifyBeforeRetry(runs, registry, previous, who.by);
  const retryOf: RetryOf = {
    runId: retried,
    by: who.by,
    ...(who.reason ? { reason: who.reason } : {}),
  };
  const spec = rerunSpec(registry, runs.taskQueue, previous, { retryOf });
  const started = await runs.start(spec, { requestId: retryRequestId(retried) });
  const run = await runs.outcome(workflowId, started.runId, waitMs, signal);
  return { executed: started.executed, replayed: started.replayed, run };
}

/** Every retry of one run sends this request ID, so racing retries start one run (see ExplicitStart). */
export function retryRequestId(previousRunId: string): string {
  return `superscript-retry-${previousRunId}`;
}
