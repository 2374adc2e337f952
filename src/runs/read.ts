// Reading runs: one run by ID, or a listing. Only SuperScript's own runs (its workflow types on its task
// queues) are visible: any other workflow in the namespace answers as if it did not exist.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { RunNotFoundError } from '../errors.js';
import { WorkflowTypes, execTaskQueue } from '../workflows/contract.js';
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

/** The latest run under a workflow ID, if it is one of ours; RunNotFoundError otherwise. */
export async function describeRun(src: RunSource, workflowId: string): Promise<WorkflowExecutionDescription> {
  const d = await describeAny(src.client, workflowId);
  if (!d || !isOwnRun(src, d)) throw new RunNotFoundError(workflowId);
  return d;
}

/** Status, request, times and (when ended) result of the latest run under a workflow ID. */
export async function readRun(src: RunSource, workflowId: string): Promise<RunView> {
  const d = await describeRun(src, workflowId);
  const view = viewOf(d);
  if (d.status.name === 'RUNNING') return view;
  const ended = await awaitOutcome(src.client, workflowId, d.runId, Infinity);
  return { ...view, status: ended.status, result: ended.result, message: ended.message };
}

/** Runs matching a visibility query (see list-query.ts, which limits it to our runs), newest first. */
export async function listRuns(src: RunSource, query: string, limit: number): Promise<RunView[]> {
  const views: RunView[] = [];
  for await (const info of src.client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    views.push(viewOf(info));
    if (views.length >= limit) break;
  }
  return views;
}
