// An explicit retry: the only way a key runs again. Allowed for a key whose run failed, timed out, was
// cancelled, terminated or ended with its outcome unknown; never for one that succeeded or is still
// running. A caller may name the run it means (`runId`), so a retry meant for a run that was already
// retried is refused. A run whose outcome is unknown is verified first when its script declares a verify
// command. The retry is recorded in the key store as a grant, which only the retry's own run can use.
// `superscript exec --retry` is the same grant for an exec run, which only exec can run again.
import type { ScriptRegistry } from '../config/scripts.js';
import { RunStateError } from '../errors.js';
import { hasEnded } from '../keystore/record.js';
import { grant } from '../keystore/transitions.js';
import { currentKey, type RunSource } from './read.js';
import { rerunSpec, type StartSpec } from './requests.js';
import { verifyBeforeRetry } from './resolve.js';
import { assertStandsFor } from './fingerprint.js';
import { startGranted, startOrAttach } from './start-or-attach.js';
import type { StartOrAttach } from './view.js';

export async function retryRun(
  runs: RunSource,
  registry: ScriptRegistry,
  workflowId: string,
  who: { by: string; reason?: string; runId?: string },
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  const previous = await currentKey(runs, workflowId);
  if (!hasEnded(previous.state))
    throw new RunStateError(`Run "${workflowId}" is still running; wait for it or cancel it first.`);
  if (previous.state === 'succeeded') {
    throw new RunStateError(
      `Run "${workflowId}" succeeded; a key that succeeded is never run again. Use a new key.`,
    );
  }
  if (who.runId && who.runId !== previous.runId) {
    throw new RunStateError(
      `Run ${who.runId} of "${workflowId}" was already retried; its latest run is ${previous.runId}. Send that run ID to retry again.`,
    );
  }
  rerunSpec(registry, runs.taskQueue, previous, {}); // refuses what cannot run again (an `exec` run)
  const retried = await verifyBeforeRetry(runs, registry, previous, who.by);
  const granted = await grant(runs.keys, workflowId, {
    kind: 'retry',
    of: retried.runId!,
    by: who.by,
    ...(who.reason ? { reason: who.reason } : {}),
  });
  const spec = rerunSpec(registry, runs.taskQueue, retried, {
    retryOf: {
      runId: granted.of,
      by: granted.by,
      ...(granted.reason ? { reason: granted.reason } : {}),
      grant: granted.token,
    },
  });
  return startGranted(runs, spec, { requestId: retryRequestId(granted.of) }, waitMs, signal);
}

/** Every retry of one run sends this request ID, so racing retries start one run (see ExplicitStart). */
export function retryRequestId(previousRunId: string): string {
  return `superscript-retry-${previousRunId}`;
}

/**
 * `superscript exec --retry`: a key whose last run failed, timed out, was cancelled or is unknown runs again,
 * on a retry grant from the key store (so only this run may claim it); any other key is started or attached
 * to as usual. A different command under the key is refused before anything is granted.
 */
export async function retryExec(
  src: RunSource,
  spec: StartSpec<'ScriptRunWorkflow'>,
): Promise<StartOrAttach> {
  const existing = await src.keys.get(spec.workflowId);
  if (!existing || !hasEnded(existing.state) || existing.state === 'succeeded' || !existing.runId)
    return startOrAttach(src, spec, Infinity, undefined, 'exec');
  assertStandsFor(spec, existing);
  const granted = await grant(src.keys, spec.workflowId, { kind: 'retry', of: existing.runId, by: 'exec' });
  const input = { ...spec.input, retryOf: { runId: granted.of, by: granted.by, grant: granted.token } };
  return startGranted(src, { ...spec, input }, { requestId: retryRequestId(granted.of) }, Infinity);
}
