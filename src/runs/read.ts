// Reading runs: one run by ID, or a listing. Only SuperScript's own runs (its workflow types on its task
// queues) are visible: any other workflow in the namespace answers as if it did not exist.
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { KeyConflictError, RunNotFoundError } from '../errors.js';
import { hasEnded, type KeyFilter } from '../keystore/record.js';
import type { KeyStore } from '../keystore/store.js';
import { settle } from '../keystore/transitions.js';
import { execTaskQueue } from '../shared/ids.js';
import { WorkflowTypes } from '../shared/workflow-types.js';
import { startedBy } from './input.js';
import type { ListQuery } from './list-query.js';
import { awaitOutcome } from './outcome.js';
import { requestOf } from './stored.js';
import { recordView, viewOf } from './view.js';
import type { KeyRecord } from '../shared/schemas/keys.js';
import type { RunView } from '../shared/schemas/views.js';

/** Where a SuperScript installation's runs live: its Temporal client, its task queue and its key store. */
export interface RunSource {
  readonly client: Client;
  readonly taskQueue: string;
  readonly keys: KeyStore;
  /** See RunServiceOptions.eagerStarter. */
  readonly eagerStarter?: Client;
}

const OWN_TYPES: readonly string[] = Object.values(WorkflowTypes);

/** The latest run under a workflow ID, whoever started it; undefined when the ID has none. */
export async function describeAny(
  client: Client,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Whether a run is one of ours: one of SuperScript's workflow types on its task queues. */
export function isOwnRun(src: RunSource, d: Pick<WorkflowExecutionInfo, 'type' | 'taskQueue'>): boolean {
  return OWN_TYPES.includes(d.type) && [src.taskQueue, execTaskQueue(src.taskQueue)].includes(d.taskQueue);
}

/**
 * The run holding a key, or undefined when it has none; a key held by a workflow that is not a SuperScript
 * run of this installation is unusable (KeyConflictError), not readable. What start-or-attach and a batch's
 * plan both decide a key by.
 */
export async function keyHolder(
  src: RunSource,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  const d = await describeAny(src.client, workflowId);
  if (d && !isOwnRun(src, d)) {
    throw new KeyConflictError(
      `Key "${workflowId}" is held by a Temporal workflow that is not a SuperScript run. Use another key.`,
      workflowId,
    );
  }
  return d;
}

/** The latest run under a workflow ID, if it is one of ours; RunNotFoundError otherwise. */
export async function describeRun(src: RunSource, workflowId: string): Promise<WorkflowExecutionDescription> {
  const d = await describeAny(src.client, workflowId);
  if (!d || !isOwnRun(src, d)) throw new RunNotFoundError(workflowId);
  return d;
}

/** Whether a run of ours exists under a workflow ID. */
export function runExists(src: RunSource, workflowId: string): Promise<boolean> {
  return describeRun(src, workflowId).then(
    () => true,
    (err: unknown) => {
      if (err instanceof RunNotFoundError) return false;
      throw err;
    },
  );
}

/**
 * A key's run (or a batch's): status, request, times, and (when ended) result, with the explicit retry or
 * resolve that started it. For a key, the key store says how its run ended (and is the whole answer when
 * Temporal no longer has the run: its retention ran out, or its history was deleted); Temporal adds what
 * only it keeps (the run's type, history, and who retried it).
 */
export async function readRun(src: RunSource, workflowId: string): Promise<RunView> {
  const [stored, d] = await Promise.all([src.keys.get(workflowId), describeAny(src.client, workflowId)]);
  if (!stored) return readWorkflow(src, workflowId, d);
  // A retry or resolve the store granted, whose run is under way: that run is the key's news.
  if (stored.grant && d && d.runId !== stored.runId && d.status.name === 'RUNNING' && isOwnRun(src, d)) {
    return readWorkflow(src, workflowId, d);
  }
  const { record, holder } = await settled(src, stored, d);
  const kept = { ...recordView(record), origin: record.origin };
  if (!holder || !isOwnRun(src, holder)) return { ...kept, onlyInKeyStore: true };
  const extras = await startedBy(src.client, workflowId, holder.runId);
  const { status: _status, ...temporal } = viewOf(holder);
  return {
    ...temporal,
    ...kept,
    ...extras,
    startedAt: temporal.startedAt,
    historyLength: temporal.historyLength,
  };
}

/**
 * The key's record, settled from Temporal first if its run has ended there without the store hearing how
 * (terminated, or its worker's last write was lost); RunNotFoundError for a key the store does not have.
 */
export async function currentKey(src: RunSource, key: string): Promise<KeyRecord> {
  const stored = await src.keys.get(key);
  if (!stored) throw new RunNotFoundError(key);
  return (await settled(src, stored)).record;
}

/** The record settled as above, with its holding run as Temporal describes it (if it still has it). */
async function settled(
  src: RunSource,
  stored: KeyRecord,
  latest?: WorkflowExecutionDescription,
): Promise<{ record: KeyRecord; holder?: WorkflowExecutionDescription }> {
  const holder =
    latest && latest.runId === stored.runId ? latest : await describeRunOf(src, stored.key, stored.runId);
  if (!holder || hasEnded(stored.state) || holder.status.name === 'RUNNING')
    return { record: stored, holder };
  const ended = await awaitOutcome(src.client, stored.key, holder.runId, Infinity);
  return { record: (await settle(src.keys, stored.key, endedRunOf(ended))) ?? stored, holder };
}

/** A run by its ID, if Temporal still has it. */
async function describeRunOf(
  src: RunSource,
  workflowId: string,
  runId: string | null,
): Promise<WorkflowExecutionDescription | undefined> {
  if (!runId) return undefined;
  try {
    return await src.client.workflow.getHandle(workflowId, runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** A workflow the key store does not know: a batch (or its part), or a run from before the store. */
async function readWorkflow(
  src: RunSource,
  workflowId: string,
  d: WorkflowExecutionDescription | undefined,
): Promise<RunView> {
  if (!d || !isOwnRun(src, d)) throw new RunNotFoundError(workflowId);
  const [extras, ended] = await Promise.all([
    d.type === WorkflowTypes.orchestrator ? {} : startedBy(src.client, workflowId, d.runId),
    d.status.name === 'RUNNING' ? undefined : awaitOutcome(src.client, workflowId, d.runId, Infinity),
  ]);
  const view = { ...viewOf(d), ...extras };
  if (!ended) return view;
  const { status, result, message } = ended;
  return { ...view, status, result, message, ...(ended.foreign && { foreign: true }) };
}

/** The script a key (or run) is for; undefined for a run that records none. */
export async function scriptOfRun(src: RunSource, workflowId: string): Promise<string | undefined> {
  const record = await src.keys.get(workflowId);
  if (record) return record.script;
  return requestOf(await describeRun(src, workflowId)).request?.script;
}

/** Keys, newest first, each as its latest run: one query to the key store, however many keys there are. */
export async function listRuns(src: RunSource, filter: KeyFilter): Promise<RunView[]> {
  // No scripts at all (a token's scopes and the filter have none in common): nothing to list.
  if (filter.scripts?.length === 0) return [];
  const records = await src.keys.list(filter);
  return records.map((r) => ({ ...recordView(r), origin: r.origin }));
}

/** Runs read in parallel to tell their outcomes apart; a listing with a status reads at most MAX_SCANNED. */
const CHUNK = 20;
const MAX_SCANNED = 1000;

/**
 * Workflows matching a visibility query (batches: see list-query.ts), newest first. A run that visibility
 * lists as failed has its outcome read, so it lists as failed, timed out or outcome unknown; a listing for
 * one of those reads at most MAX_SCANNED runs to find them.
 */
export async function listWorkflows(src: RunSource, q: ListQuery): Promise<RunView[]> {
  const views: RunView[] = [];
  let chunk: RunView[] = [];
  let scanned = 0;
  const flush = async () => {
    const precise = await Promise.all(chunk.map((v) => withOutcome(src, v)));
    views.push(...precise.filter((v) => q.status === undefined || v.status === q.status));
    chunk = [];
  };
  const pageSize = q.status === undefined ? q.limit : 1000;
  for await (const info of src.client.workflow.list({ query: q.query, pageSize })) {
    chunk.push(viewOf(info));
    scanned++;
    if (chunk.length >= CHUNK || views.length + chunk.length >= q.limit) await flush();
    if (views.length >= q.limit || scanned >= MAX_SCANNED) break;
  }
  await flush();
  return views.slice(0, q.limit);
}

/** A run visibility lists as failed, with the status and message of how it ended. */
async function withOutcome(src: RunSource, view: RunView): Promise<RunView> {
  if (view.status !== 'failed') return view;
  const ended = await awaitOutcome(src.client, view.workflowId, view.runId, Infinity);
  return { ...view, status: ended.status, message: ended.message, ...(ended.foreign && { foreign: true }) };
}

/** How a run ended, as the key store settles it. */
export function endedRunOf(view: RunView) {
  const result = view.result && 'exitCode' in view.result ? view.result : undefined;
  return {
    runId: view.runId,
    status: view.status === 'running' ? ('outcome_unknown' as const) : view.status,
    result,
    message: view.message,
  };
}
