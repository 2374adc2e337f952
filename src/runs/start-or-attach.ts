// The one way to start or attach to a key's run, shared by the API (and so the CLI's client commands),
// `exec`, a batch's orders, and explicit retries and resolves. The key store decides and answers; Temporal
// runs the script and is waited on while it runs:
// - a key the store has ended answers at once from the store (the result replayed byte for byte), whether
//   or not Temporal still remembers the run;
// - a key that stands for another request is refused (422), before anything starts;
// - a key in flight is attached to: the caller waits on its run in Temporal, then is answered from the
//   store, which the run's activity wrote (or which is settled from Temporal if the run ended unreported);
// - a new key is reserved in the store, then its run is started. Only the activity that runs the script
//   decides which run may: a run started by hand, by a race or by a retry that was not granted is refused
//   there, so starting a run here is never what makes a script run twice.
import { WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { KeyConflictError, KeyStoreUnavailableError, RunNotFoundError } from '../errors.js';
import { hasEnded } from '../keystore/record.js';
import { reserve, settle } from '../keystore/transitions.js';
import { canonicalJson } from '../shared/runs.js';
import { assertStandsFor } from './fingerprint.js';
import { awaitOutcome } from './outcome.js';
import { describeAny, endedRunOf, isOwnRun, type RunSource } from './read.js';
import type { RerunSpec } from './requests.js';
import {
  START_TIMEOUT_MS,
  bounded,
  startExplicitly,
  tryStart,
  type ExplicitStart,
} from './start-workflow.js';
import { requestOf } from './stored.js';
import { recordView, type StartOrAttach } from './view.js';
import type { KeyRecord } from '../shared/schemas/keys.js';
import type { RunView } from '../shared/schemas/views.js';

/** A start of a key's run: a script or a payment. */
export type KeySpec = RerunSpec;

/**
 * Starts the run for `spec`, or attaches to the one its key has, or replays how it ended; waits up to
 * `waitMs` for it. `by` is who asks (a token's name, `exec`, a batch), recorded when it reserves the key.
 * Aborting `signal` (the caller went away) ends the wait, never the run.
 */
export async function startOrAttach(
  src: RunSource,
  spec: KeySpec,
  waitMs: number,
  signal?: AbortSignal,
  by = 'superscript',
): Promise<StartOrAttach> {
  const admitted = await admit(src, spec, by);
  if ('ended' in admitted) return replay(admitted.ended);
  return follow(src, spec, admitted, waitMs, signal);
}

/** A run that holds (or will claim) a key: its run ID, and whether this call started it. */
export interface Admitted {
  runId: string;
  started: boolean;
}

/**
 * The key's run for this request: the run holding it, or a run this call starts for it; or, when the key
 * has ended, its record. Refuses (KeyConflictError) a key that stands for another request.
 */
export async function admit(
  src: RunSource,
  spec: KeySpec,
  by: string,
): Promise<Admitted | { ended: KeyRecord }> {
  const reserved = await reserve(src.keys, {
    key: spec.workflowId,
    script: spec.request.script,
    request: canonicalJson(spec.request),
    by,
  });
  try {
    return await runFor(src, spec, reserved.record);
  } catch (err) {
    // Nothing started for this request (Temporal did not answer, or the ID is another's): the key is left
    // as it was found, so a corrected request may still take it. A run that did start claims it anyway.
    if (reserved.created) await src.keys.remove(spec.workflowId, reserved.record.version).catch(() => false);
    throw err;
  }
}

async function runFor(
  src: RunSource,
  spec: KeySpec,
  found: KeyRecord,
): Promise<Admitted | { ended: KeyRecord }> {
  let record = found;
  const deadline = Date.now() + START_TIMEOUT_MS;
  // Each pass either answers or finds the record changed by another caller; a few are plenty.
  for (let pass = 0; pass < 5; pass++) {
    assertStandsFor(spec, record);
    if (hasEnded(record.state)) return { ended: record };
    if (record.runId) {
      // A run that has ended in Temporal without the store hearing how (terminated) is settled now, so
      // this request is answered as the replay it is.
      const settled = await settledHolder(src, record);
      if (!settled) return { runId: record.runId, started: false };
      record = settled;
      continue;
    }
    const run = await runForReservation(src, spec, deadline);
    if ('runId' in run) return run;
    record = run.record;
  }
  throw new KeyStoreUnavailableError(
    `Key "${spec.workflowId}" kept changing while it was being started; send the same request again.`,
  );
}

/** The key settled from Temporal when its holding run has ended there; undefined while it runs. */
async function settledHolder(src: RunSource, record: KeyRecord): Promise<KeyRecord | undefined> {
  const holder = await src.client.workflow
    .getHandle(record.key, record.runId!)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  if (holder?.status.name === 'RUNNING') return undefined;
  const view = holder
    ? await awaitOutcome(src.client, record.key, holder.runId, Infinity)
    : await outcomeOf(src, record.key, record.runId!, 0);
  return settle(src.keys, record.key, endedRunOf(view));
}

/**
 * A run for a key that is only reserved: a new one, or the open one its workflow ID has (racing callers,
 * or a run started by hand, which will claim the key or be refused). A run of this request that ended
 * without claiming the key ran nothing: the key is settled as failed (never started) and its record
 * returned. Any other ended run under the ID (refused, foreign, another request's) does not hold the key,
 * so a new run replaces it.
 */
async function runForReservation(
  src: RunSource,
  spec: KeySpec,
  deadline: number,
): Promise<Admitted | { record: KeyRecord }> {
  const fresh = await tryStart(src, spec, deadline);
  if (fresh) return { runId: fresh, started: true };
  const d = await bounded(spec.workflowId, deadline, () => describeAny(src.client, spec.workflowId));
  if (d && !isOwnRun(src, d)) {
    throw new KeyConflictError(
      `Key "${spec.workflowId}" is held by a Temporal workflow that is not a SuperScript run. Use another key.`,
      spec.workflowId,
    );
  }
  if (d?.status.name === 'RUNNING') {
    // A run in flight for another request holds the ID: it will be refused the key, but this request
    // cannot be answered by it.
    if (standsForAnother(spec, d)) {
      throw new KeyConflictError(
        `Key "${spec.workflowId}" is held by run ${d.runId}, started for another request. Use another key, or send this one again once that run has ended.`,
        spec.workflowId,
      );
    }
    return { runId: d.runId, started: false };
  }
  if (d && standsFor(spec, d)) {
    const view = await awaitOutcome(src.client, spec.workflowId, d.runId, Infinity);
    const record = await settle(src.keys, spec.workflowId, endedRunOf(view));
    if (record) return { record };
  }
  const replaced = await tryStart(src, spec, deadline, WorkflowIdReusePolicy.ALLOW_DUPLICATE);
  if (replaced) return { runId: replaced, started: true };
  // Another caller replaced it first: its run is the key's now.
  const open = await bounded(spec.workflowId, deadline, () => describeAny(src.client, spec.workflowId));
  if (!open) throw new RunNotFoundError(spec.workflowId);
  return { runId: open.runId, started: false };
}

/** Whether a Temporal run was started for this very request: its memo says so (not: says nothing). */
function standsFor(spec: KeySpec, d: Parameters<typeof requestOf>[0]): boolean {
  const { request } = requestOf(d);
  return request !== undefined && canonicalJson(request) === canonicalJson(spec.request);
}

/** Whether a run's memo names another request than this one (or one SuperScript did not write). */
function standsForAnother(spec: KeySpec, d: Parameters<typeof requestOf>[0]): boolean {
  const stored = requestOf(d);
  return stored.foreign === true || (stored.request !== undefined && !standsFor(spec, d));
}

/**
 * Waits for the key's run, then answers from the key store: what the run's activity recorded, or, when it
 * ended without a word to the store, what Temporal says (recorded now). When the run that was followed
 * turns out not to hold the key (it was refused), the run that does is followed instead.
 */
export async function follow(
  src: RunSource,
  spec: KeySpec,
  admitted: Admitted,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  const deadline = Date.now() + waitMs;
  let { runId, started } = admitted;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const view = await outcomeOf(src, spec.workflowId, runId, Math.max(0, deadline - Date.now()), signal);
    if (view.status === 'running') {
      return { executed: started, replayed: false, run: { ...view, request: spec.request } };
    }
    let record = await src.keys.get(spec.workflowId);
    // The run ended without the store hearing how. It is the key's if it holds the key, or if this call
    // started it for the reservation (a run someone else started may have been for another request).
    if (record && !hasEnded(record.state) && (record.runId === runId || (record.runId === null && started))) {
      record = await settle(src.keys, spec.workflowId, endedRunOf(view));
    }
    if (record && hasEnded(record.state)) {
      return { executed: started && record.runId === runId, replayed: false, run: recordView(record) };
    }
    if (record?.runId && record.runId !== runId) {
      // The run followed did not get the key (it was refused): the one that did is followed instead.
      ({ runId, started } = { runId: record.runId, started: false });
      continue;
    }
    // Still only reserved, and the run followed was not this request's: start one that is.
    const next = await admit(src, spec, 'superscript');
    if ('ended' in next) return replay(next.ended);
    ({ runId, started } = next);
  }
  throw new KeyStoreUnavailableError(
    `Key "${spec.workflowId}" changed hands ${MAX_HOPS} times while its run was followed; send the same request again.`,
  );
}

/** Runs followed one after another for one request (each refused in favour of the next) before giving up. */
const MAX_HOPS = 5;

/** A key that has ended, answered from the store. */
function replay(record: KeyRecord): StartOrAttach {
  return { executed: false, replayed: true, run: recordView(record) };
}

/**
 * The run's outcome within the wait. A run Temporal no longer has (its history was deleted while the key
 * store still waited for it) ended unreported: the store settles it as unknown, or as never started.
 */
async function outcomeOf(
  src: RunSource,
  workflowId: string,
  runId: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<RunView> {
  try {
    return await awaitOutcome(src.client, workflowId, runId, waitMs, signal);
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
    return {
      workflowId,
      runId,
      status: 'outcome_unknown',
      message: `Run ${runId} is gone from Temporal (its history was deleted) before it reported how it ended; it may or may not have done its work.`,
    };
  }
}

/**
 * An explicit start of a key the store granted another run (a retry or a resolve): racing callers with one
 * grant send one request ID and so start one run between them. Then followed like any start.
 */
export async function startGranted(
  src: RunSource,
  spec: KeySpec,
  explicit: ExplicitStart,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  for (let tries = 0; ; tries++) {
    const started = await startExplicitly(src.client, spec, explicit);
    if (started) {
      const answer = await follow(
        src,
        spec,
        { runId: started.runId, started: started.executed },
        waitMs,
        signal,
      );
      return { ...answer, replayed: answer.replayed || started.replayed };
    }
    // Another run holds the workflow ID (one started by hand): it cannot use the grant, so once it ends,
    // the granted run is started after all.
    const open = await describeAny(src.client, spec.workflowId);
    if (!open) throw new RunNotFoundError(spec.workflowId);
    if (tries >= MAX_HOPS) return follow(src, spec, { runId: open.runId, started: false }, waitMs, signal);
    await awaitOutcome(src.client, spec.workflowId, open.runId, waitMs, signal);
  }
}
