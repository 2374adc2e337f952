// The collectOrder activity, a batch's order (or row): start (or attach to) its payment run (the row's run of
// its script) through the one start-or-attach path (the key store decides), wait for it, and report it slimly. The run is a top-level workflow, so its output stays
// in its own history.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ScriptRegistry } from '../../config/scripts.js';
import { InvalidRequestError, KeyConflictError } from '../../errors.js';
import type { RunSource } from '../read.js';
import { admit, follow } from '../start-or-attach.js';
import { isRunResult } from '../stored.js';
import { recordView } from '../view.js';
import { itemKey, type CollectOrderInput } from '../../shared/batches.js';
import { itemSpec } from './specs.js';
import { STARTER_MEMO } from '../../shared/runs.js';
import type { BatchActivities } from '../../activities/types.js';
import type { BatchItem, OrderReport } from '../../shared/schemas/batches.js';
import type { RunView } from '../../shared/schemas/views.js';

const MESSAGE_MAX = 300;

export function createCollectOrder(
  runs: RunSource,
  registry: ScriptRegistry,
): BatchActivities['collectOrder'] {
  return async function collectOrder(input) {
    const ctx = Context.current();
    // The batch names itself in the memo of the runs it starts, so a retried activity still knows them.
    const spec = { ...orderSpec(registry, runs, input), starter: input.batchWorkflowId };
    const base = { ...('orderId' in input ? { orderId: input.orderId } : {}), workflowId: spec.workflowId };
    let admitted;
    try {
      admitted = await admit(runs, spec, input.batchWorkflowId);
    } catch (err) {
      if (!(err instanceof KeyConflictError)) throw err;
      // The report is read by whoever may read the batch's script: not what another script's run holds.
      const message = brief(err.toReaderOf(spec.request.script).message);
      return { ...base, disposition: 'conflict', outcome: 'conflict', message };
    }
    const ours = (runId: string | null) =>
      ctx.info.attempt > 1 && startedBy(runs, spec.workflowId, runId, spec.starter);
    if ('ended' in admitted)
      return report(base, recordView(admitted.ended), await ours(admitted.ended.runId));
    const executed = admitted.started || (await ours(admitted.runId));
    const beat = setInterval(() => ctx.heartbeat(), 5000);
    // Killed (the batch was cancelled with killRunning): cancel the run if this batch started it; a run
    // someone else started is not ours to end. A worker shutting down cancels nothing: the activity is
    // retried elsewhere and waits again.
    const kill = () => {
      if (executed && ctx.cancellationDetails?.cancelRequested)
        void runs.client.workflow
          .getHandle(spec.workflowId, admitted.runId)
          .cancel()
          .catch(() => undefined);
    };
    ctx.cancellationSignal.addEventListener('abort', kill, { once: true });
    try {
      const answer = await follow(
        runs,
        spec,
        { ...admitted, started: executed },
        Infinity,
        executed ? undefined : ctx.cancellationSignal,
      );
      return report(base, answer.run, answer.executed);
    } finally {
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', kill);
    }
  };
}

/** Whether the run was started by `starter` (an earlier attempt of this activity), as its memo says. */
async function startedBy(
  runs: RunSource,
  workflowId: string,
  runId: string | null,
  starter: string,
): Promise<boolean> {
  if (!runId) return false;
  const d = await runs.client.workflow
    .getHandle(workflowId, runId)
    .describe()
    .catch(() => undefined);
  return d?.memo?.[STARTER_MEMO] === starter;
}

/** The order's slim report from how its run ended (or stands). */
function report(
  base: { orderId?: string; workflowId: string },
  view: RunView,
  executed: boolean,
): OrderReport {
  const result = view.result;
  return {
    ...base,
    disposition: executed ? 'executed' : 'already_done',
    outcome: view.status === 'running' ? 'outcome_unknown' : view.status,
    runId: view.runId,
    ...(isRunResult(result) ? { exitCode: result.exitCode } : {}),
    ...(view.message && view.status !== 'succeeded' ? { message: brief(view.message) } : {}),
  };
}

/** The worker's own registry validates the order (or row) and gives its policy, whatever the batch's input says. */
function orderSpec(registry: ScriptRegistry, runs: RunSource, input: CollectOrderInput) {
  const [script, item]: [string | undefined, BatchItem] =
    'script' in input
      ? [input.script, { key: input.key, args: input.args }]
      : [undefined, { orderId: input.orderId, amount: input.amount }];
  try {
    return itemSpec(registry, runs.taskQueue, script, item);
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    // Refused by this worker's registry (it changed since the batch was checked): no retry will help.
    const what = script === undefined ? 'Order' : 'Row';
    throw ApplicationFailure.nonRetryable(`${what} "${itemKey(item)}": ${err.message}`, 'OrderRefused');
  }
}

/** A report's message is for people, and kept short so a part's reports stay far below 2 MB. */
function brief(message: string): string {
  return message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX - 1)}…` : message;
}
