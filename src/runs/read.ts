// Reading runs: one run by ID, or a listing. Only SuperScript's own runs (its workflow types on its task
// queues) are visible: any other workflow in the namespace answers as if it did not exist.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { KeyConflictError, RunNotFoundError } from '../errors.js';
import { WorkflowTypes, execTaskQueue } from '../workflows/contract.js';
import { startedBy } from './input.js';
import type { ListQuery } from './list-query.js';
import { awaitOutcome } from './outcome.js';
import { viewOf, type RunView } from './view.js';

/** Where a SuperScript installation's runs live: its Temporal client and its task queue. */
export interface RunSource {
  readonly client: Client;
  readonly taskQueue: string;
  /** See RunsOptions.eagerStarter. */
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
export function isOwnRun(src: RunSource, d: WorkflowExecutionDescription): boolean {
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
 * Status, request, times and (when ended) result of the latest run under a workflow ID, and the explicit
 * retry or resolve that started it, if one did.
 */
export async function readRun(src: RunSource, workflowId: string): Promise<RunView> {
  const d = await describeRun(src, workflowId);
  const [extras, ended] = await Promise.all([
    d.type === WorkflowTypes.orchestrator ? {} : startedBy(src.client, workflowId, d.runId),
    d.status.name === 'RUNNING' ? undefined : awaitOutcome(src.client, workflowId, d.runId, Infinity),
  ]);
  const view = { ...viewOf(d), ...extras };
  if (!ended) return view;
  const { status, result, message } = ended;
  return { ...view, status, result, message, ...(ended.foreign && { foreign: true }) };
}

/** Runs read in parallel to tell their outcomes apart; a listing with a status reads at most MAX_SCANNED. */
const CHUNK = 20;
const MAX_SCANNED = 1000;

/**
 * Runs matching a visibility query (see list-query.ts, which limits it to our runs), newest first. A run
 * that visibility lists as failed has its outcome read, so it lists as failed, timed out or outcome unknown;
 * a listing for one of those reads at most MAX_SCANNED runs to find them.
 */
export async function listRuns(src: RunSource, q: ListQuery): Promise<RunView[]> {
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
