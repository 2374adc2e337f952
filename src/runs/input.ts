// The input a run was started with, from the first event of its history: what its memo does not hold,
// such as who retried it and why.
import type { Client } from '@temporalio/client';
import type { RetryOf, RunExtras } from '../workflows/contract.js';

export async function startInput<T>(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<T | undefined> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? client.options.loadedDataConverter.payloadConverter.fromPayload<T>(payload) : undefined;
}

/** The explicit retry that started this run, if one did. */
export async function retryOfRun(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<RetryOf | undefined> {
  return (await startInput<RunExtras>(client, workflowId, runId))?.retryOf;
}
