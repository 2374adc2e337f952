// Resolving a run whose outcome is unknown without guessing: the script's verify command asks the outside
// world whether the work was done, and the answer is recorded in the key's history as a new run under the
// key, started like an explicit retry, whose input says "verify, do not run". Done: the key answers
// succeeded (verified). Not done: the key failed definitely, so a retry may run it. Cannot tell: unknown.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { verifyOf, verifyPolicy, type ScriptRegistry, type ScriptSpec } from '../config/scripts.js';
import { RunStateError } from '../errors.js';
import type { ResolveOf } from '../workflows/contract.js';
import { rerunSpec } from './requests.js';
import type { Runs } from './runs.js';
import type { StartOrAttach } from './start-or-attach.js';
import type { RunStatus } from './view.js';

/** Runs the verify command for the run with unknown outcome under `workflowId` and records its answer. */
export async function resolveRun(
  runs: Runs,
  registry: ScriptRegistry,
  workflowId: string,
  by: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  const previous = await runs.describe(workflowId);
  if (previous.status.name === 'RUNNING')
    throw new RunStateError(`Run "${workflowId}" is still running; its outcome is not unknown yet.`);
  verifyOf(scriptOf(runs, registry, previous));
  const status = await statusOf(runs, previous);
  if (status !== 'outcome_unknown') {
    throw new RunStateError(
      `Run "${workflowId}" ended with outcome ${status}; only a run whose outcome is unknown can be resolved.`,
    );
  }
  return startResolve(runs, registry, previous, by, waitMs, signal);
}

/**
 * Before a retry: verifies the run first when its outcome is unknown and its script declares verify.
 * Returns the run to retry (the resolve run, when there was one); refuses when verify found it done.
 */
export async function verifyBeforeRetry(
  runs: Runs,
  registry: ScriptRegistry,
  previous: WorkflowExecutionDescription,
  by: string,
): Promise<string> {
  const script = scriptOf(runs, registry, previous);
  if (!script.verify) return previous.runId;
  if ((await statusOf(runs, previous)) !== 'outcome_unknown') return previous.runId;
  // However short the caller's wait, the retry needs verify's answer: wait as long as verify may take.
  const verifyMs = verifyPolicy(script).startToCloseTimeoutMs ?? Infinity;
  const { run } = await startResolve(runs, registry, previous, by, verifyMs);
  if (run.status === 'succeeded') {
    throw new RunStateError(
      `Verify found that run ${previous.runId} of "${previous.workflowId}" did its work: the key now answers succeeded (run ${run.runId}) and is not run again.`,
    );
  }
  if (run.status === 'running') {
    throw new RunStateError(
      `Run ${previous.runId} of "${previous.workflowId}" is still being verified (run ${run.runId}); send the retry again once that run has ended.`,
    );
  }
  // Not done: the retry goes ahead. Cannot tell: it goes ahead too, as the operator asked for it explicitly.
  return run.runId;
}

/** The registered script a run was for (refusing runs that cannot be run again, such as `exec` runs). */
function scriptOf(runs: Runs, registry: ScriptRegistry, previous: WorkflowExecutionDescription): ScriptSpec {
  return registry.get(rerunSpec(registry, runs.taskQueue, previous, {}).request.script);
}

/** The outcome a closed run ended with: its workflow status alone does not tell unknown from failed. */
async function statusOf(runs: Runs, previous: WorkflowExecutionDescription): Promise<RunStatus> {
  return (await runs.outcome(previous.workflowId, previous.runId, Infinity)).status;
}

/**
 * Starts the resolve run of `unknownRunId` like an explicit retry (so it cannot replace a run that
 * succeeded) with a request ID of its own, so racing resolves of one run start one run between them.
 */
async function startResolve(
  runs: Runs,
  registry: ScriptRegistry,
  unknown: WorkflowExecutionDescription,
  by: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  const resolve: ResolveOf = { runId: unknown.runId, by };
  const policy = verifyPolicy(scriptOf(runs, registry, unknown));
  const spec = rerunSpec(registry, runs.taskQueue, unknown, { resolve, policy });
  const started = await runs.start(spec, { requestId: `superscript-resolve-${unknown.runId}` });
  const run = await runs.outcome(spec.workflowId, started.runId, waitMs, signal);
  return { executed: started.executed, replayed: started.replayed, run };
}
