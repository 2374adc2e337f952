// Cancelling a run: the workflow asks its activity to stop, and the worker ends the script's process group.
import { RunStateError } from '../errors.js';
import { describeRun, type RunSource } from './read.js';
import { viewOf, type RunView } from './view.js';

export async function cancelRun(src: RunSource, workflowId: string): Promise<RunView> {
  const d = await describeRun(src, workflowId);
  if (d.status.name !== 'RUNNING') {
    throw new RunStateError(
      `Run "${workflowId}" has already ended (${d.status.name.toLowerCase()}); there is nothing to cancel.`,
    );
  }
  await src.client.workflow.getHandle(workflowId, d.runId).cancel();
  return viewOf(d);
}
