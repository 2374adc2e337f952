// Starting and reading a batch's bulk decisions (retry its failed orders, resolve its unknown ones): one
// BatchDecisionWorkflow per batch and action, under `batch-<id>:<action>`, so asking twice attaches to the
// first. Only an ended batch is decided on: while it runs, its orders are not all reported yet.
import { RunStateError } from '../../errors.js';
import { DECISION_STATE_QUERY } from '../../shared/batches.js';
import { batchDecisionWorkflowId, batchWorkflowId } from '../../shared/ids.js';
import { PAYMENT_SCRIPT } from '../../shared/runs.js';
import { WorkflowTypes } from '../../shared/workflow-types.js';
import { describeRun, runExists, scriptOfRun, type RunSource } from '../read.js';
import { storedAnswer } from '../stored.js';
import { startWorkflowRun } from '../start-workflow.js';
import { viewOf } from '../view.js';
import { readBatch } from './read.js';
import {
  DecisionAction,
  type DecisionAction as Action,
  type DecisionView,
} from '../../shared/schemas/batches.js';

/** Starts the decision (or attaches to the one asked for before) and answers it as it stands. */
export async function startDecision(
  src: RunSource,
  batchId: string,
  action: Action,
  by: string,
): Promise<DecisionView> {
  const workflowId = batchDecisionWorkflowId(batchId, action);
  if (!(await runExists(src, workflowId))) {
    const batch = await readBatch(src, batchId);
    if (batch.status === 'running')
      throw new RunStateError(
        `Batch "${batchId}" is still running; its orders are not all reported yet. Wait for it, or cancel it first.`,
      );
  }
  // The decision is on the batch's script's runs: listed and scoped as the batch is.
  const script = (await scriptOfRun(src, batchWorkflowId(batchId))) ?? PAYMENT_SCRIPT;
  const { executed } = await startWorkflowRun(src, {
    workflowId,
    workflowType: WorkflowTypes.batchDecision,
    input: { batchId, action, by },
    // Who asks is not part of the request: a second asker attaches, whoever they are.
    request: { script, args: { batchId, action } },
    taskQueue: src.taskQueue,
  });
  return { ...(await readDecision(src, batchId, action)), started: executed };
}

/** A decision's status and progress: its result once it has ended, else its answer to the state query. */
export async function readDecision(src: RunSource, batchId: string, action: Action): Promise<DecisionView> {
  const d = await describeRun(src, batchDecisionWorkflowId(batchId, action));
  const view = viewOf(d);
  const handle = src.client.workflow.getHandle(d.workflowId, d.runId);
  const answer =
    d.status.name === 'COMPLETED'
      ? await handle.result()
      : await handle.query<unknown>(DECISION_STATE_QUERY).catch(() => undefined);
  const state = storedAnswer.decisionState(answer);
  if (!state) {
    throw new RunStateError(
      `The ${action} decision of batch "${batchId}" is ${view.status}, and no worker answered for its progress right now.`,
    );
  }
  return {
    ...state,
    workflowId: d.workflowId,
    runId: d.runId,
    status: view.status,
    ...(d.closeTime ? { closedAt: d.closeTime.toISOString() } : {}),
  };
}

/** The decisions asked for on a batch so far, in the order of DecisionAction; none for a batch never decided on. */
export async function listDecisions(src: RunSource, batchId: string): Promise<DecisionView[]> {
  await describeRun(src, batchWorkflowId(batchId)); // no such batch: RunNotFoundError
  const asked = await Promise.all(
    DecisionAction.options.map(async (action) =>
      (await runExists(src, batchDecisionWorkflowId(batchId, action)))
        ? readDecision(src, batchId, action)
        : undefined,
    ),
  );
  return asked.filter((d): d is DecisionView => d !== undefined);
}
