// The one way to start or attach to a run, shared by the API, the CLI, `exec` and (through an activity)
// the orchestrator.
//
// Policies, chosen so the server itself enforces "never rerun a key implicitly":
// - WorkflowIdReusePolicy REJECT_DUPLICATE for every ordinary start: once a key has a run, closed or not,
//   no ordinary request can start another. Only an explicit retry uses ALLOW_DUPLICATE_FAILED_ONLY, so even
//   it cannot rerun a run that succeeded, and two racing retries start one run between them.
// - WorkflowIdConflictPolicy FAIL (not USE_EXISTING): the start call that wins is the only one that returns
//   a handle, so we know exactly which request executed the run; every other request gets
//   WorkflowExecutionAlreadyStartedError, compares its fingerprint with the run's memo, and attaches.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  encodeWorkflowIdConflictPolicy,
  encodeWorkflowIdReusePolicy,
  mapToPayloads,
} from '@temporalio/common';
import { KeyConflictError, RunNotFoundError } from '../errors.js';
import { REQUEST_MEMO, STARTER_MEMO, runIdentity } from '../workflows/contract.js';
import { assertSameRequest, stampOf } from './fingerprint.js';
import { awaitOutcome } from './outcome.js';
import { describeRun, type RunSource } from './read.js';
import type { StartSpec } from './requests.js';
import type { RunView } from './view.js';

export interface StartOrAttach {
  /** This call started the run (it is the one that executed the script). */
  executed: boolean;
  /** The run had already finished when this call arrived: its stored result is replayed. */
  replayed: boolean;
  /** Status `running` when the wait ran out before the run finished. */
  run: RunView;
}

/**
 * An explicit start of a key that already has a failed run (a retry). Every such start meant for the same
 * failed run sends the same `requestId`: the server answers a start whose request ID made the key's current
 * run with that run (and `started: false`), so racing retries start one run between them, even when the
 * first one's run has already ended.
 */
export interface ExplicitStart {
  requestId: string;
}

interface Started {
  executed: boolean;
  replayed: boolean;
  runId: string;
}

/**
 * Starts the run for `spec`, or attaches to the one its key already has; waits up to `waitMs` for it.
 * Aborting `signal` (the caller went away) ends the wait, never the run.
 */
export async function startOrAttach(
  src: RunSource,
  spec: StartSpec,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  // Start and wait for the key's result at once. The start alone decides who executes. For a key that
  // is new, the early wait either catches the new run or answers NotFound at once; for a duplicate of a
  // finished run, the result names its request, so one round trip both checks and answers it.
  const abort = new AbortController();
  const onGone = () => abort.abort(signal?.reason);
  signal?.addEventListener('abort', onGone, { once: true });
  const answer = (outcome: StartOrAttach): StartOrAttach => ({
    ...outcome,
    run: { ...outcome.run, request: spec.request },
  });
  const starting = tryStart(src.client, spec);
  const waiting = awaitOutcome(src.client, spec.workflowId, undefined, waitMs, abort.signal);
  waiting.catch(() => {});
  try {
    const runId = await starting;
    if (runId)
      return answer({
        executed: true,
        replayed: false,
        run: await ownOutcome(src, spec, runId, waiting, waitMs, abort.signal),
      });
    return answer(await attach(src, spec, waiting, waitMs, abort.signal));
  } finally {
    abort.abort();
    signal?.removeEventListener('abort', onGone);
  }
}

/** The outcome of the run this call started: the early wait's, if it caught this run, else a fresh one. */
async function ownOutcome(
  src: RunSource,
  spec: StartSpec,
  runId: string,
  early: Promise<RunView>,
  waitMs: number,
  abort: AbortSignal,
): Promise<RunView> {
  const view = await early.catch((err: unknown) => {
    if (abort.aborted) throw err;
    return undefined; // NotFound: it asked before the run existed
  });
  if (view?.status === 'running') return { ...view, runId };
  if (view?.runId === runId) return view;
  return awaitOutcome(src.client, spec.workflowId, runId, waitMs, abort);
}

/** A duplicate: checks it is the same request, then answers with the run's outcome. */
async function attach(
  src: RunSource,
  spec: StartSpec,
  waiting: Promise<RunView>,
  waitMs: number,
  abort: AbortSignal,
): Promise<StartOrAttach> {
  const reading = describeHolder(src, spec.workflowId);
  reading.catch(() => {});
  const first = await Promise.race([
    waiting.then(
      (view) => view,
      () => undefined,
    ),
    reading.then(
      () => undefined,
      () => undefined,
    ),
  ]);
  const stamped = first && stampOf(first);
  if (first && stamped) {
    assertSameRequest(spec, { memo: { [REQUEST_MEMO]: stamped } });
    return { executed: false, replayed: true, run: first };
  }
  // Still running, unstamped, or raced ahead of the winner's start: check the memo, then wait.
  const existing = await reading.catch((err: unknown) =>
    retryIfNotFound(err, () => describeHolder(src, spec.workflowId)),
  );
  assertSameRequest(spec, existing);
  const early = await waiting.catch((err: unknown) =>
    retryIfNotFound(err, () => awaitOutcome(src.client, spec.workflowId, existing.runId, waitMs, abort)),
  );
  // A short wait can run out before a finished run's result arrives; a closed run answers at once.
  const closed = existing.status.name !== 'RUNNING';
  const run =
    closed && early.status === 'running'
      ? await awaitOutcome(src.client, spec.workflowId, existing.runId, Infinity, abort)
      : early;
  return { executed: false, replayed: closed, run: { ...run, runId: run.runId || existing.runId } };
}

/** The run holding a key; a workflow that is not a SuperScript run makes the key unusable, not readable. */
async function describeHolder(src: RunSource, workflowId: string) {
  try {
    return await describeRun(src, workflowId);
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
    // The start was refused, so something holds the ID: if it is not ours, say so rather than read it.
    const exists = await src.client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        () => true,
        () => false,
      );
    if (!exists) throw err;
    throw new KeyConflictError(
      `Key "${workflowId}" is held by a Temporal workflow that is not a SuperScript run. Use another key.`,
      workflowId,
    );
  }
}

/**
 * Starts the run, or finds the one holding the key. Throws KeyConflictError when that run is for a
 * different request. `explicit` starts an explicit retry (see the top of this file).
 */
export async function startRun(src: RunSource, spec: StartSpec, explicit?: ExplicitStart): Promise<Started> {
  if (explicit) {
    const started = await startExplicitly(src.client, spec, explicit);
    if (started) return started;
  } else {
    const runId = await tryStart(src.client, spec);
    if (runId) return { executed: true, replayed: false, runId };
  }
  const existing = await describeHolder(src, spec.workflowId);
  assertSameRequest(spec, existing);
  // A starter that names itself started this run on an earlier try of the same call (see StartSpec.starter).
  const executed = spec.starter !== undefined && existing.memo?.[STARTER_MEMO] === spec.starter;
  return { executed, replayed: !executed && existing.status.name !== 'RUNNING', runId: existing.runId };
}

/** The new run's ID, or undefined when the key already has a run. */
async function tryStart(client: Client, spec: StartSpec): Promise<string | undefined> {
  const identity = runIdentity(spec.request);
  try {
    const handle = await client.workflow.start(spec.workflowType, {
      workflowId: spec.workflowId,
      taskQueue: spec.taskQueue,
      args: [spec.input],
      ...identity,
      memo: spec.starter ? { ...identity.memo, [STARTER_MEMO]: spec.starter } : identity.memo,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    });
    return handle.firstExecutionRunId;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}

const GRPC_ALREADY_EXISTS = 6;

/**
 * An explicit start through the service's own call, because it takes the request ID (the SDK's client does
 * not). Undefined when the key has an open run.
 *
 * The server answers a repeated request ID as a retried request: `started: true` again, whoever sent it. So
 * each caller also leaves a nonce in the memo, and only the caller whose nonce the run holds executed it.
 */
async function startExplicitly(
  client: Client,
  spec: StartSpec,
  explicit: ExplicitStart,
): Promise<Started | undefined> {
  const { payloadConverter } = client.options.loadedDataConverter;
  const identity = runIdentity(spec.request);
  const nonce = randomUUID();
  try {
    const response = await client.workflowService.startWorkflowExecution({
      namespace: client.options.namespace,
      identity: client.options.identity,
      requestId: explicit.requestId,
      workflowId: spec.workflowId,
      workflowType: { name: spec.workflowType },
      taskQueue: { name: spec.taskQueue },
      input: { payloads: [payloadConverter.toPayload(spec.input)] },
      memo: { fields: mapToPayloads(payloadConverter, { ...identity.memo, [STARTER_MEMO]: nonce }) },
      searchAttributes: {
        indexedFields: Object.fromEntries(
          identity.typedSearchAttributes.map(({ key, value }) => [
            key.name,
            keywordPayload(payloadConverter.toPayload(value)),
          ]),
        ),
      },
      workflowIdReusePolicy: encodeWorkflowIdReusePolicy(WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY),
      workflowIdConflictPolicy: encodeWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.FAIL),
    });
    const executed =
      response.started &&
      (await client.workflow.getHandle(spec.workflowId, response.runId).describe()).memo?.[STARTER_MEMO] ===
        nonce;
    return { executed, replayed: !executed && response.status !== RUNNING, runId: response.runId };
  } catch (err) {
    if ((err as { code?: unknown }).code === GRPC_ALREADY_EXISTS) return undefined;
    throw err;
  }
}

// temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
const RUNNING = 1;

/** Marks a search attribute payload as a Keyword, as the SDK's typed search attributes do. */
function keywordPayload<P extends { metadata?: Record<string, Uint8Array> | null }>(payload: P): P {
  return { ...payload, metadata: { ...payload.metadata, type: new TextEncoder().encode('Keyword') } };
}

function retryIfNotFound<T>(err: unknown, again: () => Promise<T>): Promise<T> {
  return err instanceof RunNotFoundError ? again() : Promise.reject(err as Error);
}
