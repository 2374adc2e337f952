// Starting workflows in Temporal, and the start-or-attach of runs that run no script themselves (a batch's
// coordinator and its parts), whose workflow ID alone stands for them.
//
// Policies:
// - WorkflowIdConflictPolicy FAIL (not USE_EXISTING): the start call that wins is the only one that returns
//   a handle, so we know exactly which request started the run; every other request gets
//   WorkflowExecutionAlreadyStartedError and attaches.
// - WorkflowIdReusePolicy REJECT_DUPLICATE for batches and for a key's first start: once a workflow ID has
//   a run, an ordinary start never makes another. A key's script is guarded by the key store where it runs
//   (see src/keystore), so a start the store has decided on may reuse an ID whose run ended without
//   claiming the key (ALLOW_DUPLICATE), and an explicit retry sends one request ID per retried run.
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  encodeWorkflowIdConflictPolicy,
  encodeWorkflowIdReusePolicy,
  mapToPayloads,
} from '@temporalio/common';
import { RunNotFoundError, TemporalUnavailableError } from '../errors.js';
import { STARTER_MEMO, runIdentity } from '../shared/runs.js';
import { assertSameRequest } from './fingerprint.js';
import { awaitOutcome } from './outcome.js';
import { keyHolder, type RunSource } from './read.js';
import type { StartSpec } from './requests.js';
import type { StartOrAttach } from './view.js';
import type { RunView } from '../shared/schemas/views.js';

/**
 * An explicit start of a key that already has a failed run (a retry). Every such start meant for the same
 * failed run sends the same `requestId`: the server answers a start whose request ID made the key's current
 * run with that run (and `started: false`), so racing retries start one run between them, even when the
 * first one's run has already ended.
 */
export interface ExplicitStart {
  requestId: string;
}

export interface Started {
  executed: boolean;
  replayed: boolean;
  runId: string;
}

/**
 * Starts the workflow for `spec`, or attaches to the one its ID already has; waits up to `waitMs` for it.
 * For a batch's coordinator; a key's run goes through the key store (start-or-attach.ts). Aborting
 * `signal` (the caller went away) ends the wait, never the run.
 */
export async function startOrAttachWorkflow(
  src: RunSource,
  spec: StartSpec,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StartOrAttach> {
  // Look before starting: ask who holds the key and for its result at once, and start only a key that has
  // no run. A duplicate is then answered from both reads (the description says the run is ours and what it
  // was for, the result what it did), with no start for the server to refuse: a refused start costs it more
  // than both reads. The start alone still decides who executes; one that loses a race to another request's
  // start is refused by the server and attaches like any duplicate.
  const abort = new AbortController();
  const onGone = () => abort.abort(signal?.reason);
  signal?.addEventListener('abort', onGone, { once: true });
  const answer = (outcome: StartOrAttach): StartOrAttach => ({
    ...outcome,
    run: { ...outcome.run, request: spec.request },
  });
  // Looking and starting share one bound: a server whose database is down holds reads as it holds starts.
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    const waiting = awaitOutcome(src.client, spec.workflowId, undefined, waitMs, abort.signal);
    waiting.catch(() => {});
    // keyHolder refuses a key held by anything but one of our runs, before anything of its run is answered.
    const holder = await bounded(spec.workflowId, deadline, () => keyHolder(src, spec.workflowId));
    if (holder) return answer(await attach(src, spec, holder, waiting, waitMs, abort.signal));
    const runId = await tryStart(src, spec, deadline);
    if (runId) {
      const run = await awaitOutcome(src.client, spec.workflowId, runId, waitMs, abort.signal);
      return answer({ executed: true, replayed: false, run });
    }
    // Another request started the key since we looked.
    const existing = await bounded(spec.workflowId, deadline, () => describeHolder(src, spec.workflowId));
    const early = awaitOutcome(src.client, spec.workflowId, existing.runId, waitMs, abort.signal);
    return answer(await attach(src, spec, existing, early, waitMs, abort.signal));
  } finally {
    abort.abort();
    signal?.removeEventListener('abort', onGone);
  }
}

/** A duplicate: checks it is the same request as the run holding the key, then answers with its outcome. */
async function attach(
  src: RunSource,
  spec: StartSpec,
  existing: WorkflowExecutionDescription,
  waiting: Promise<RunView>,
  waitMs: number,
  abort: AbortSignal,
): Promise<StartOrAttach> {
  assertSameRequest(spec, existing);
  // A wait that reached the server before the run existed (it raced the winner's start) is asked again.
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

/** The run holding a key that a refused start says is taken. */
async function describeHolder(src: RunSource, workflowId: string): Promise<WorkflowExecutionDescription> {
  const d = await keyHolder(src, workflowId);
  if (!d) throw new RunNotFoundError(workflowId);
  return d;
}

/**
 * Starts the workflow, or finds the one holding its ID (a batch's part). Throws KeyConflictError when that
 * run is for a different request.
 */
export async function startWorkflowRun(src: RunSource, spec: StartSpec): Promise<Started> {
  const runId = await tryStart(src, spec);
  if (runId) return { executed: true, replayed: false, runId };
  const existing = await describeHolder(src, spec.workflowId);
  assertSameRequest(spec, existing);
  // A starter that names itself started this run on an earlier try of the same call (see StartSpec.starter).
  const executed = spec.starter !== undefined && existing.memo?.[STARTER_MEMO] === spec.starter;
  return { executed, replayed: !executed && existing.status.name !== 'RUNNING', runId: existing.runId };
}

/**
 * The new run's ID, or undefined when the ID already has a run the policy keeps (an open one, or with
 * REJECT_DUPLICATE any).
 */
export async function tryStart(
  src: RunSource,
  spec: StartSpec,
  deadline = Date.now() + START_TIMEOUT_MS,
  reuse: WorkflowIdReusePolicy = WorkflowIdReusePolicy.REJECT_DUPLICATE,
): Promise<string | undefined> {
  // Eager only where a worker of this process polls the queue (the SDK's core also checks it has a free slot).
  const eager = spec.taskQueue === src.taskQueue ? src.eagerStarter : undefined;
  const identity = runIdentity(spec.request);
  try {
    const handle = await bounded(spec.workflowId, deadline, () =>
      (eager ?? src.client).workflow.start(spec.workflowType, {
        workflowId: spec.workflowId,
        taskQueue: spec.taskQueue,
        args: [spec.input],
        ...identity,
        memo: spec.starter ? { ...identity.memo, [STARTER_MEMO]: spec.starter } : identity.memo,
        workflowIdReusePolicy: reuse,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        requestEagerStart: eager !== undefined,
      }),
    );
    return handle.firstExecutionRunId;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}

const GRPC_ALREADY_EXISTS = 6;

/**
 * How long looking at a key and starting its run may take, retries included. A server whose database is
 * down holds each call for seconds and the client retries ten times (neither a gRPC deadline nor an abort
 * signal stops those retries early): the caller should hear "unavailable" instead. A start that still lands
 * later is harmless: the caller's next request with the key attaches to its run.
 */
export const START_TIMEOUT_MS = 10_000;

/** `call`'s answer, or TemporalUnavailableError if it has none by `deadline` (a time in ms). */
export async function bounded<T>(workflowId: string, deadline: number, call: () => Promise<T>): Promise<T> {
  const calling = call();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        calling.catch(() => {});
        reject(
          new TemporalUnavailableError(
            `Temporal is unreachable or overloaded: it did not answer for "${workflowId}" within ` +
              `${START_TIMEOUT_MS / 1000} s. Send the same request again shortly: under the same key it cannot run twice.`,
          ),
        );
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([calling, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An explicit start (a retry or a resolve the key store granted) through the service's own call, because
 * it takes the request ID (the SDK's client does not). Undefined when the key has an open run. It may
 * reuse the ID of any ended run: the key store's grant, not Temporal, lets exactly one run claim the key.
 *
 * The server answers a repeated request ID as a retried request: `started: true` again, whoever sent it. So
 * each caller also leaves a nonce in the memo, and only the caller whose nonce the run holds executed it.
 */
export async function startExplicitly(
  client: Client,
  spec: StartSpec,
  explicit: ExplicitStart,
): Promise<Started | undefined> {
  const { payloadConverter } = client.options.loadedDataConverter;
  const identity = runIdentity(spec.request);
  const nonce = randomUUID();
  try {
    const response = await bounded(spec.workflowId, Date.now() + START_TIMEOUT_MS, () =>
      client.workflowService.startWorkflowExecution({
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
        workflowIdReusePolicy: encodeWorkflowIdReusePolicy(WorkflowIdReusePolicy.ALLOW_DUPLICATE),
        workflowIdConflictPolicy: encodeWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.FAIL),
      }),
    );
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
