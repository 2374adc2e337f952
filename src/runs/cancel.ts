// Cancelling a run: the workflow asks its activity to stop, and the worker ends the script's process group.
import { RunStateError } from '../errors.js';
import { hasEnded } from '../keystore/record.js';
import { WorkflowTypes } from '../shared/workflow-types.js';
import { describeRun, type RunSource } from './read.js';
import { viewOf } from './view.js';
import type { RunView } from '../shared/schemas/views.js';

export async function cancelRun(src: RunSource, workflowId: string): Promise<RunView> {
  const record = await src.keys.get(workflowId);
  if (record && hasEnded(record.state)) {
    throw new RunStateError(
      `Run "${workflowId}" has already ended (${record.state}); there is nothing to cancel.`,
    );
  }
  const d = await describeRun(src, workflowId);
  if (d.type === WorkflowTypes.orchestrator || d.type === WorkflowTypes.batchPart) {
    // A batch stops in order (no new orders; running ones finish or are killed), part by part.
    throw new RunStateError(
      `"${workflowId}" is (part of) a batch: cancel it with POST /v1/batches/{batchId}/cancel.`,
    );
  }
  if (d.status.name !== 'RUNNING') {
    throw new RunStateError(
      `Run "${workflowId}" has already ended (${d.status.name.toLowerCase()}); there is nothing to cancel.`,
    );
  }
  await src.client.workflow.getHandle(workflowId, d.runId).cancel();
  return viewOf(d);
}
