// Waiting for a run to end: its result, or how it ended, within a wait that the caller may also cut short.
import { setMaxListeners } from 'node:events';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { RunNotFoundError } from '../errors.js';
import { storedResult } from './stored.js';
import { failedView } from './view.js';
import type { RunView } from '../shared/schemas/views.js';

/**
 * The run's outcome, waiting up to `waitMs` (Infinity: until it ends). A run that has not ended by then
 * comes back with status `running`. Aborting `cancel` stops the wait and rejects with its reason. A result
 * that is none of SuperScript's makes the run foreign, succeeded as Temporal says.
 */
export async function awaitOutcome(
  client: Client,
  workflowId: string,
  runId: string | undefined,
  waitMs: number,
  cancel?: AbortSignal,
): Promise<RunView> {
  if (cancel?.aborted) throw cancel.reason;
  const handle = client.workflow.getHandle(workflowId, runId);
  const running: RunView = { workflowId, runId: runId ?? '', status: 'running' };
  const abort = new AbortController();
  // The SDK adds a listener to this signal for each long poll of the result and never removes it
  // (@temporalio/client 1.24, connection.js): a wait of minutes passes Node's warning threshold of 10.
  // They are dropped with this controller when the wait ends.
  setMaxListeners(0, abort.signal);
  const onCancel = () => abort.abort();
  cancel?.addEventListener('abort', onCancel, { once: true });
  const timer = Number.isFinite(waitMs) ? setTimeout(() => abort.abort(), waitMs) : undefined;
  try {
    const value: unknown = await client.connection.withAbortSignal(abort.signal, () => handle.result());
    // None is a semaphore's (it ends when idle).
    if (value === undefined) return { workflowId, runId: runId ?? '', status: 'succeeded' };
    const result = storedResult(value);
    if (!result) return { workflowId, runId: runId ?? '', status: 'succeeded', foreign: true };
    const ran = 'runId' in result ? result.runId : undefined;
    return { workflowId, runId: ran ?? runId ?? '', status: 'succeeded', result };
  } catch (err) {
    if (cancel?.aborted) throw cancel.reason;
    if (abort.signal.aborted) return running;
    if (err instanceof WorkflowNotFoundError) throw new RunNotFoundError(workflowId);
    if (err instanceof WorkflowFailedError) return failedView(workflowId, runId ?? '', err);
    throw err;
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  }
}
