// A batch's order: start (or attach to) its payment run through the one start-or-attach path, wait for it,
// and report it slimly. The run is a top-level workflow, so its output stays in its own history.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ScriptRegistry } from '../config/scripts.js';
import { InvalidRequestError, KeyConflictError } from '../errors.js';
import { paymentSpec } from '../runs/requests.js';
import type { Runs } from '../runs/runs.js';
import { isRunResult } from '../runs/stored.js';
import type { CollectOrderInput } from '../workflows/contract.js';
import type { BatchActivities } from './types.js';

const MESSAGE_MAX = 300;

export function createCollectOrder(runs: Runs, registry: ScriptRegistry): BatchActivities['collectOrder'] {
  return async function collectOrder(input) {
    const ctx = Context.current();
    const spec = { ...orderSpec(registry, runs, input), starter: input.batchWorkflowId };
    const base = { orderId: input.orderId, workflowId: spec.workflowId };
    let started;
    try {
      started = await runs.start(spec);
    } catch (err) {
      if (!(err instanceof KeyConflictError)) throw err;
      return { ...base, disposition: 'conflict', outcome: 'conflict', message: brief(err.message) };
    }
    const disposition = started.executed ? 'executed' : 'already_done';
    const beat = setInterval(() => ctx.heartbeat(), 5000);
    // Killed (the batch was cancelled with killRunning): cancel the run if this batch started it; a run
    // someone else started is not ours to end. A worker shutting down cancels nothing: the activity is
    // retried elsewhere and waits again.
    const kill = () => {
      if (started.executed && ctx.cancellationDetails?.cancelRequested)
        void runs.client.workflow
          .getHandle(spec.workflowId, started.runId)
          .cancel()
          .catch(() => undefined);
    };
    ctx.cancellationSignal.addEventListener('abort', kill, { once: true });
    try {
      const view = await runs.outcome(
        spec.workflowId,
        started.runId,
        Infinity,
        started.executed ? undefined : ctx.cancellationSignal,
      );
      const result = view.result;
      return {
        ...base,
        disposition,
        outcome: view.status === 'running' ? 'outcome_unknown' : view.status,
        runId: view.runId || started.runId,
        ...(isRunResult(result) ? { exitCode: result.exitCode } : {}),
        ...(view.message && view.status !== 'succeeded' ? { message: brief(view.message) } : {}),
      };
    } finally {
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', kill);
    }
  };
}

/** The worker's own registry validates the order and gives its policy, whatever the batch's input says. */
function orderSpec(registry: ScriptRegistry, runs: Runs, input: CollectOrderInput) {
  try {
    return paymentSpec(registry, runs.taskQueue, { orderId: input.orderId, amount: input.amount });
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    // Refused by this worker's registry (it changed since the batch was checked): no retry will help.
    throw ApplicationFailure.nonRetryable(`Order "${input.orderId}": ${err.message}`, 'OrderRefused');
  }
}

/** A report's message is for people, and kept short so a part's reports stay far below 2 MB. */
function brief(message: string): string {
  return message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX - 1)}…` : message;
}
