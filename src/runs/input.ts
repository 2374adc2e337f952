// The input a run was started with, from the first event of its history: what its memo does not hold,
// such as who retried or resolved it and why.
import type { Client } from '@temporalio/client';
import type { RunExtras } from '../workflows/contract.js';

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

/** The explicit retry or the resolve that started this run, if one did. */
export async function startedBy(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<{ retryOf?: RunExtras['retryOf']; resolveOf?: RunExtras['resolve'] }> {
  const input = await startInput<RunExtras>(client, workflowId, runId);
  // A grant's token is the permission itself: it is never shown.
  const { grant: _retryGrant, ...retryOf } = input?.retryOf ?? {};
  const { grant: _resolveGrant, ...resolveOf } = input?.resolve ?? {};
  return {
    retryOf: input?.retryOf && (retryOf as RunExtras['retryOf']),
    resolveOf: input?.resolve && (resolveOf as RunExtras['resolve']),
  };
}
