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
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { KeyConflictError, RunNotFoundError, RunStateError } from '../errors.js';
import {
  REQUEST_MEMO,
  RunFailureTypes,
  canonicalJson,
  runIdentity,
  type BatchResult,
  type Outcome,
  type RunResult,
} from '../workflows/contract.js';
import type { CanonicalRequest, StartSpec } from './requests.js';

export type RunStatus = 'running' | Outcome | 'terminated';

/** A run as callers see it. `result` is a RunResult for script runs and a BatchResult for batches. */
export interface RunView {
  workflowId: string;
  runId: string;
  status: RunStatus;
  workflowType?: string;
  request?: CanonicalRequest;
  startedAt?: string;
  closedAt?: string;
  historyLength?: number;
  result?: RunResult | BatchResult;
  message?: string;
}

export interface StartOrAttach {
  /** This call started the run (it is the one that executed the script). */
  executed: boolean;
  /** The run had already finished when this call arrived: its stored result is replayed. */
  replayed: boolean;
  /** Status `running` when the wait ran out before the run finished. */
  run: RunView;
}

/**
 * An explicit retry (or resolve) of a run, with the start request ID every retry of that run sends. The
 * server answers a start whose request ID made the key's current run with that run, so racing retries of
 * a run (a double click) start one run between them, even when the first retry's run has already ended.
 */
export interface RetryStart {
  requestId: string;
}

/** The request ID of every retry of the run `previousRunId`. */
export function retryRequestId(previousRunId: string): string {
  return `superscript-retry-${previousRunId}`;
}

// The SDK's own (internal, pinned 1.24.0) way to set a start's request ID, as its Nexus helpers do.
const START_OPTIONS = Symbol.for('__temporal_internal_client_workflow_start_options');

interface Started {
  executed: boolean;
  replayed: boolean;
  runId: string;
}

export class Runs {
  constructor(readonly client: Client) {}

  /** Starts the run for `spec`, or attaches to the one its key already has; waits up to `waitMs` for it. */
  async startOrAttach(spec: StartSpec, waitMs: number): Promise<StartOrAttach> {
    // Start and wait for the key's result at once. The start alone decides who executes. For a key that
    // is new, the early wait either catches the new run or answers NotFound at once; for a duplicate of a
    // finished run, the result names its request, so one round trip both checks and answers it.
    const abort = new AbortController();
    const answer = (outcome: StartOrAttach): StartOrAttach => ({
      ...outcome,
      run: { ...outcome.run, request: spec.request },
    });
    const starting = this.tryStart(spec);
    const waiting = this.outcome(spec.workflowId, undefined, waitMs, abort.signal);
    waiting.catch(() => {});
    try {
      const runId = await starting;
      if (runId)
        return answer({
          executed: true,
          replayed: false,
          run: await this.ownOutcome(spec, runId, waiting, waitMs),
        });
      return answer(await this.attach(spec, waiting, waitMs, abort.signal));
    } catch (err) {
      abort.abort();
      throw err;
    }
  }

  /** The outcome of the run this call started: the early wait's, if it caught this run, else a fresh one. */
  private async ownOutcome(
    spec: StartSpec,
    runId: string,
    early: Promise<RunView>,
    waitMs: number,
  ): Promise<RunView> {
    const view = await early.catch(() => undefined); // NotFound: it asked before the run existed
    if (view?.status === 'running') return { ...view, runId };
    if (view?.runId === runId) return view;
    return this.outcome(spec.workflowId, runId, waitMs);
  }

  /** A duplicate: checks it is the same request, then answers with the run's outcome. */
  private async attach(
    spec: StartSpec,
    waiting: Promise<RunView>,
    waitMs: number,
    abort: AbortSignal,
  ): Promise<StartOrAttach> {
    const reading = this.describe(spec.workflowId);
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
      retryIfNotFound(err, () => this.describe(spec.workflowId)),
    );
    assertSameRequest(spec, existing);
    const early = await waiting.catch((err: unknown) =>
      retryIfNotFound(err, () => this.outcome(spec.workflowId, existing.runId, waitMs, abort)),
    );
    // A short wait can run out before a finished run's result arrives; a closed run answers at once.
    const closed = existing.status.name !== 'RUNNING';
    const run =
      closed && early.status === 'running'
        ? await this.outcome(spec.workflowId, existing.runId, Infinity)
        : early;
    return { executed: false, replayed: closed, run: { ...run, runId: run.runId || existing.runId } };
  }

  /**
   * Starts the run, or finds the one holding the key. Throws KeyConflictError when that run is for a
   * different request. `retry` switches to the explicit-retry reuse policy (see the top of this file).
   */
  async start(spec: StartSpec, retry?: RetryStart): Promise<Started> {
    const runId = await this.tryStart(spec, retry);
    if (runId) return { executed: true, replayed: false, runId };
    const existing = await this.describe(spec.workflowId);
    assertSameRequest(spec, existing);
    return { executed: false, replayed: existing.status.name !== 'RUNNING', runId: existing.runId };
  }

  /** The new run's ID, or undefined when the key already has a run. */
  private async tryStart(spec: StartSpec, retry?: RetryStart): Promise<string | undefined> {
    try {
      const handle = await this.client.workflow.start(spec.workflowType, {
        ...(retry ? { [START_OPTIONS]: { requestId: retry.requestId } } : {}),
        workflowId: spec.workflowId,
        taskQueue: spec.taskQueue,
        args: [spec.input],
        ...runIdentity(spec.request),
        workflowIdReusePolicy: retry
          ? WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
          : WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      });
      return handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
      throw err;
    }
  }

  /**
   * The run's outcome, waiting up to `waitMs` (Infinity: until it ends). A run that has not ended by then
   * comes back with status `running`.
   */
  async outcome(
    workflowId: string,
    runId: string | undefined,
    waitMs: number,
    cancel?: AbortSignal,
  ): Promise<RunView> {
    const handle = this.client.workflow.getHandle(workflowId, runId);
    const running: RunView = { workflowId, runId: runId ?? '', status: 'running' };
    const abort = new AbortController();
    cancel?.addEventListener('abort', () => abort.abort(), { once: true });
    const timer = Number.isFinite(waitMs) ? setTimeout(() => abort.abort(), waitMs) : undefined;
    try {
      const value = (await this.client.connection.withAbortSignal(abort.signal, () => handle.result())) as
        RunResult | BatchResult;
      return { workflowId, runId: value.runId ?? runId ?? '', status: 'succeeded', result: value };
    } catch (err) {
      if (abort.signal.aborted && !cancel?.aborted) return running;
      if (cancel?.aborted) throw cancel.reason;
      if (err instanceof WorkflowNotFoundError) throw new RunNotFoundError(workflowId);
      if (err instanceof WorkflowFailedError) return failedView(workflowId, runId ?? '', err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Status, request, times and (when ended) result of the latest run under a workflow ID. */
  async read(workflowId: string): Promise<RunView> {
    const d = await this.describe(workflowId);
    const view = viewOf(d);
    if (d.status.name === 'RUNNING') return view;
    const ended = await this.outcome(workflowId, d.runId, Infinity);
    return { ...view, status: ended.status, result: ended.result, message: ended.message };
  }

  /** Runs matching a Temporal visibility query, newest first. */
  async list(query: string, limit: number): Promise<RunView[]> {
    const views: RunView[] = [];
    for await (const info of this.client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
      views.push(viewOf(info));
      if (views.length >= limit) break;
    }
    return views;
  }

  /** Requests cancellation; the worker ends the script's process group. */
  async cancel(workflowId: string): Promise<RunView> {
    const d = await this.describe(workflowId);
    if (d.status.name !== 'RUNNING') {
      throw new RunStateError(
        `Run "${workflowId}" has already ended (${d.status.name.toLowerCase()}); there is nothing to cancel.`,
      );
    }
    await this.client.workflow.getHandle(workflowId, d.runId).cancel();
    return viewOf(d);
  }

  async describe(workflowId: string): Promise<WorkflowExecutionDescription> {
    try {
      return await this.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RunNotFoundError(workflowId);
      throw err;
    }
  }
}

export function requestOf(info: Pick<WorkflowExecutionInfo, 'memo'>): CanonicalRequest | undefined {
  const raw = info.memo?.[REQUEST_MEMO];
  return typeof raw === 'string' ? (JSON.parse(raw) as CanonicalRequest) : undefined;
}

/** Refuses to attach a request to a run that holds its key for a different request. */
export function assertSameRequest(
  spec: Pick<StartSpec, 'workflowId' | 'request'>,
  existing: Pick<WorkflowExecutionInfo, 'memo'>,
): void {
  const stored = requestOf(existing);
  // A run started outside SuperScript has no fingerprint; the key alone identifies it.
  if (!stored || canonicalJson(stored) === canonicalJson(spec.request)) return;
  const what =
    stored.script !== spec.request.script
      ? `script "${stored.script}", not "${spec.request.script}"`
      : `different arguments (${differingFields(stored.args, spec.request.args).join(', ')})`;
  throw new KeyConflictError(
    `Key "${spec.workflowId}" is already used by a run of ${what}. A key stands for one request: use a new key for a different one.`,
    spec.workflowId,
  );
}

/** The request a finished run's result was stamped with, if it has one. */
function stampOf(view: RunView): string | undefined {
  return view.status === 'running' ? undefined : view.result?.request;
}

function retryIfNotFound<T>(err: unknown, again: () => Promise<T>): Promise<T> {
  return err instanceof RunNotFoundError ? again() : Promise.reject(err as Error);
}

function differingFields(a: object, b: object): string[] {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const names = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  return [...names].filter((n) => JSON.stringify(ra[n]) !== JSON.stringify(rb[n]));
}

function viewOf(info: WorkflowExecutionInfo | WorkflowExecutionDescription): RunView {
  const status = info.status.name;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.type,
    status:
      status === 'RUNNING'
        ? 'running'
        : status === 'COMPLETED'
          ? 'succeeded'
          : status === 'CANCELLED'
            ? 'cancelled'
            : status === 'TERMINATED'
              ? 'terminated'
              : status === 'TIMED_OUT'
                ? 'timed_out'
                : 'failed',
    request: requestOf(info),
    startedAt: info.startTime.toISOString(),
    closedAt: info.closeTime?.toISOString(),
    historyLength: info.historyLength,
  };
}

function failedView(workflowId: string, runId: string, err: WorkflowFailedError): RunView {
  const cause = err.cause;
  const base = { workflowId, runId, message: cause?.message ?? err.message };
  if (cause instanceof ApplicationFailure) {
    const result = cause.details?.[0] as RunResult | undefined;
    if (result) return { ...base, runId: result.runId || runId, status: result.outcome, result };
    return { ...base, status: cause.type === RunFailureTypes.outcomeUnknown ? 'outcome_unknown' : 'failed' };
  }
  if (cause instanceof CancelledFailure) return { ...base, status: 'cancelled' };
  if (cause instanceof TerminatedFailure) return { ...base, status: 'terminated' };
  if (cause instanceof TimeoutFailure) return { ...base, status: 'timed_out' };
  return { ...base, status: 'failed' };
}
