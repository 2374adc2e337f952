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
}

const OWN_TYPES: readonly string[] = Object.values(WorkflowTypes);

/** The latest run under a workflow ID, if it is one of ours; RunNotFoundError otherwise. */
export async function describeRun(src: RunSource, workflowId: string): Promise<WorkflowExecutionDescription> {
  let d: WorkflowExecutionDescription;
  try {
    d = await src.client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new RunNotFoundError(workflowId);
    throw err;
  }
  const queues = [src.taskQueue, execTaskQueue(src.taskQueue)];
  if (!OWN_TYPES.includes(d.type) || !queues.includes(d.taskQueue)) throw new RunNotFoundError(workflowId);
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
