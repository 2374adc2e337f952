// The input a run was started with, from the first event of its history: what its memo does not hold,
// such as who retried or resolved it and why.
import type { Client } from '@temporalio/client';
import { storedExtras } from './stored.js';
import type { ResolveOf, RetryOf } from '../shared/schemas/runs.js';

/**
 * The explicit retry or the resolve that started this run, if one did; `foreign` when its input is not one
 * SuperScript writes (it does not decode, or is not of its shape).
 */
export async function startedBy(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<{ retryOf?: RetryOf; resolveOf?: ResolveOf; foreign?: true }> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return {};
  let input: unknown;
  try {
    input = client.options.loadedDataConverter.payloadConverter.fromPayload(payload);
  } catch {
    return { foreign: true };
  }
  return storedExtras(input) ?? { foreign: true };
}
