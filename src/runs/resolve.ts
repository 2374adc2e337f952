// Resolving a run whose outcome is unknown without guessing: the script's verify command asks the outside
// world whether the work was done, and the answer is recorded as the key's outcome: a new run under the
// key, started on a resolve grant from the key store, whose input says "verify, do not run". Done: the
// key answers succeeded (verified). Not done: the key failed definitely, so a retry may run it. Cannot
// tell: unknown.
import { verifyOf, verifyPolicy, type ScriptRegistry, type ScriptSpec } from '../config/scripts.js';
import { RunStateError } from '../errors.js';
import { hasEnded } from '../keystore/record.js';
import { grant } from '../keystore/transitions.js';
import { currentKey, type RunSource } from './read.js';
import { rerunSpec } from './requests.js';
import { startGranted } from './start-or-attach.js';
import type { StartOrAttach } from './view.js';
import type { KeyRecord } from '../shared/schemas/keys.js';

/** Runs the verify command for the key `workflowId`, whose outcome is unknown, and records its answer. */
export async function resolveRun(
  runs: RunSource,
  registry: ScriptRegistry,
  workflowId: string,
  by: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  const previous = await currentKey(runs, workflowId);
  if (!hasEnded(previous.state))
    throw new RunStateError(`Run "${workflowId}" is still running; its outcome is not unknown yet.`);
  verifyOf(scriptOf(runs, registry, previous));
  if (previous.state !== 'outcome_unknown') {
    throw new RunStateError(
      `Run "${workflowId}" ended with outcome ${previous.state}; only a run whose outcome is unknown can be resolved.`,
    );
  }
  return startResolve(runs, registry, previous, by, waitMs, signal);
}

/**
 * Before a retry: verifies the key first when its outcome is unknown and its script declares verify.
 * Returns the key as it then stands (held by the resolve run, when there was one); refuses when verify
 * found the work done.
 */
export async function verifyBeforeRetry(
  runs: RunSource,
  registry: ScriptRegistry,
  previous: KeyRecord,
  by: string,
): Promise<KeyRecord> {
  const script = scriptOf(runs, registry, previous);
  if (!script.verify || previous.state !== 'outcome_unknown') return previous;
  // However short the caller's wait, the retry needs verify's answer: wait as long as verify may take.
  const verifyMs = verifyPolicy(script).startToCloseTimeoutMs ?? Infinity;
  const { run } = await startResolve(runs, registry, previous, by, verifyMs);
  if (run.status === 'succeeded') {
    throw new RunStateError(
      `Verify found that run ${previous.runId} of "${previous.key}" did its work: the key now answers succeeded (run ${run.runId}) and is not run again.`,
    );
  }
  if (run.status === 'running') {
    throw new RunStateError(
      `Run ${previous.runId} of "${previous.key}" is still being verified (run ${run.runId}); send the retry again once that run has ended.`,
    );
  }
  // Not done: the retry goes ahead. Cannot tell: it goes ahead too, as the operator asked for it explicitly.
  return currentKey(runs, previous.key);
}

/** The registered script a key was for (refusing keys that cannot be run again, such as `exec` runs). */
function scriptOf(runs: RunSource, registry: ScriptRegistry, previous: KeyRecord): ScriptSpec {
  return registry.get(rerunSpec(registry, runs.taskQueue, previous, {}).request.script);
}

/**
 * Starts the resolve run of the key's unknown run on a resolve grant (so only it records an answer), with
 * a request ID of its own, so racing resolves of one run start one run between them.
 */
async function startResolve(
  runs: RunSource,
  registry: ScriptRegistry,
  unknown: KeyRecord,
  by: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  const granted = await grant(runs.keys, unknown.key, { kind: 'resolve', of: unknown.runId!, by });
  const policy = verifyPolicy(scriptOf(runs, registry, unknown));
  const spec = rerunSpec(registry, runs.taskQueue, unknown, {
    resolve: { runId: granted.of, by: granted.by, grant: granted.token },
    policy,
  });
  return startGranted(runs, spec, { requestId: `superscript-resolve-${granted.of}` }, waitMs, signal);
}
