// The activities of a bulk decision (BatchDecisionWorkflow): a page of a batch's orders that the decision
// applies to, as their keys stand now, and one order retried or resolved through the same path as a single
// run's (retry.ts, resolve.ts), so the key store's grants decide and nothing that was charged is charged again.
import { Context } from '@temporalio/activity';
import type { ScriptRegistry } from '../../config/scripts.js';
import { RunStateError } from '../../errors.js';
import { hasEnded } from '../../keystore/record.js';
import { candidateFor } from '../../shared/batches.js';
import { awaitOutcome } from '../outcome.js';
import { currentKey, scriptOfRun, type RunSource } from '../read.js';
import { batchWorkflowId } from '../../shared/ids.js';
import { resolveRun } from '../resolve.js';
import { retryRun } from '../retry.js';
import { listBatchOrders } from './read.js';
import type { BatchActivities } from '../../activities/types.js';
import type { DecisionAction } from '../../shared/schemas/batches.js';
import type { KeyState } from '../../shared/schemas/keys.js';
import type { RunStatus } from '../../shared/schemas/runs.js';

/** Orders read per page: each page is one activity's answer, far below Temporal's 2 MB. */
const PAGE_SIZE = 200;

/**
 * Keys a bulk retry runs again: those that failed definitely. Never an unknown (it may have done its work)
 * nor a terminated run (the same), and never a succeeded one.
 */
const RETRYABLE: readonly KeyState[] = ['failed', 'timed_out', 'cancelled'];

function applies(action: DecisionAction, state: KeyState): boolean {
  return action === 'retry' ? RETRYABLE.includes(state) : state === 'outcome_unknown';
}

export function createDecisionActivities(
  runs: RunSource,
  registry: ScriptRegistry,
): Pick<BatchActivities, 'decisionPage' | 'decideOrder'> {
  return {
    async decisionPage({ batchId, action, cursor }) {
      const page = await listBatchOrders(runs, batchId, { limit: PAGE_SIZE, cursor });
      // The decision was allowed for the batch's script: a key another script holds now (pruned and taken
      // again, or named by a part started by hand) is not the batch's to act on.
      const script = await scriptOfRun(runs, batchWorkflowId(batchId));
      const keys: string[] = [];
      for (const order of page.orders) {
        if (!candidateFor(action, order.status)) continue;
        const record = await runs.keys.get(order.workflowId);
        if (record && record.script === script && applies(action, record.state)) keys.push(order.workflowId);
      }
      return {
        looked: page.orders.length,
        keys,
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    },

    async decideOrder({ batchId, action, key, by }) {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 5000);
      try {
        const record = await currentKey(runs, key);
        if (!hasEnded(record.state)) {
          // A retried attempt finds the run an earlier attempt started (or someone's): its end is the answer.
          if (ctx.info.attempt === 1) return { disposition: 'skipped', reason: `"${key}" is running` };
          const run = await awaitOutcome(runs.client, key, undefined, Infinity, ctx.cancellationSignal);
          return { disposition: 'acted', outcome: outcomeOf(run.status) };
        }
        if (!applies(action, record.state))
          return { disposition: 'skipped', reason: `"${key}" is ${record.state} now` };
        const answer =
          action === 'retry'
            ? await retryRun(
                runs,
                registry,
                key,
                { by, reason: `bulk retry of batch ${batchId}`, runId: record.runId ?? undefined },
                Infinity,
                ctx.cancellationSignal,
              )
            : await resolveRun(runs, registry, key, by, Infinity, ctx.cancellationSignal);
        return { disposition: 'acted', outcome: outcomeOf(answer.run.status) };
      } catch (err) {
        // Retried or resolved by someone else since the page was read: the key says no, which is final.
        if (err instanceof RunStateError) return { disposition: 'skipped', reason: err.message };
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

function outcomeOf(status: RunStatus): 'succeeded' | 'failed' | 'outcome_unknown' {
  if (status === 'succeeded') return 'succeeded';
  return status === 'outcome_unknown' || status === 'terminated' || status === 'running'
    ? 'outcome_unknown'
    : 'failed';
}
