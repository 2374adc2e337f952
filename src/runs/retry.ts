// An explicit retry: the only way a key runs again. Allowed for a run that failed, timed out, was
// cancelled, terminated or ended with its outcome unknown; never for one that succeeded or is still running.
// A caller may name the run it means (`runId`), so a retry meant for a run that was already retried is
// refused.
import type { ScriptRegistry } from '../config/scripts.js';
import { RunStateError } from '../errors.js';
import { EXEC_SCRIPT, WorkflowTypes, type RetryOf } from '../workflows/contract.js';
import { paymentSpec, scriptRunSpec, type StartSpec } from './requests.js';
import type { Runs } from './runs.js';
import type { StartOrAttach } from './start-or-attach.js';
import { requestOf } from './view.js';

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
  const request = requestOf(previous);
  const retryOf: RetryOf = {
    runId: previous.runId,
    by: who.by,
    ...(who.reason ? { reason: who.reason } : {}),
  };
  let spec: StartSpec;
  if (request?.script === EXEC_SCRIPT) {
    throw new RunStateError(
      `Run "${workflowId}" is a \`superscript exec\` run: its command runs where exec runs. Retry it there with \`superscript exec --retry --key ${workflowId} -- COMMAND\`.`,
    );
  } else if (previous.type === WorkflowTypes.payment && request && 'orderId' in request.args) {
    spec = paymentSpec(
      registry,
      runs.taskQueue,
      { orderId: request.args.orderId, amount: request.args.amount },
      { retryOf },
    );
  } else if (previous.type === WorkflowTypes.script && request) {
    spec = scriptRunSpec(
      registry,
      runs.taskQueue,
      { script: request.script, args: request.args, key: workflowId },
      { retryOf },
    );
  } else {
    throw new RunStateError(
      `Run "${workflowId}" (${previous.type}) records no SuperScript request to run again; only script and payment runs can be retried.`,
    );
  }
  const started = await runs.start(spec, { requestId: retryRequestId(previous.runId) });
  const run = await runs.outcome(workflowId, started.runId, waitMs, signal);
  return { executed: started.executed, replayed: started.replayed, run };
}

/** Every retry of one run sends this request ID, so racing retries start one run (see ExplicitStart). */
export function retryRequestId(previousRunId: string): string {
  return `superscript-retry-${previousRunId}`;
}
