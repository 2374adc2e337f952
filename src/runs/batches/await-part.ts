// The awaitBatchPart activity: lets a batch's coordinator wait for one of its parts and take its counts, leaving its reports in the part.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { awaitOutcome } from '../outcome.js';
import type { RunSource } from '../read.js';
import { isBatchPartResult } from '../stored.js';
import type { BatchActivities } from '../../activities/types.js';

export function createAwaitBatchPart(runs: RunSource): BatchActivities['awaitBatchPart'] {
  return async function awaitBatchPart({ workflowId }) {
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 5000);
    try {
      const view = await awaitOutcome(runs.client, workflowId, undefined, Infinity, ctx.cancellationSignal);
      const result = view.result;
      if (view.status === 'succeeded' && isBatchPartResult(result)) {
        const { total: _total, done: _done, pending: _pending, ...counts } = result.progress;
        return counts;
      }
      throw ApplicationFailure.nonRetryable(
        `Batch part ${workflowId} ended ${view.status}${view.message ? ` (${view.message})` : ''}; its reports are lost, though each order's (or row's) run stays under its key.`,
        'BatchPartEnded',
      );
    } finally {
      clearInterval(beat);
    }
  };
}
