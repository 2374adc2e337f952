// A bulk decision on a batch (`batch-<id>:retry` or `batch-<id>:resolve`): it pages through the batch's
// orders and retries (or resolves) each one that the decision applies to, up to maxConcurrent at once,
// each through the decideOrder activity, which takes the same path as a single run's retry or resolve. Its
// workflow ID is the batch's and the action's, so asking twice attaches to the first. It keeps only counts
// and a cursor, and continues as new every `continueAsNewAfter` pages, so its history stays bounded.
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  DECISION_STATE_QUERY,
  noDecisionProgress,
  type DecideOrderResult,
  type DecisionInput,
} from '../shared/batches.js';
import type { DecisionState } from '../shared/schemas/batches.js';
import { waitingActivities } from './waiting-activities.js';

export const decisionStateQuery = defineQuery<DecisionState>(DECISION_STATE_QUERY);

const DEFAULT_MAX_CONCURRENT = 10;
const DEFAULT_CONTINUE_AS_NEW_AFTER = 20;

export async function BatchDecisionWorkflow(input: DecisionInput): Promise<DecisionState> {
  const { decisionPage, decideOrder } = waitingActivities();
  const progress = input.carried?.progress ?? noDecisionProgress();
  let lastError = input.carried?.lastError;
  let cursor = input.carried?.cursor;
  let finished = false;
  const state = (): DecisionState => ({
    batchId: input.batchId,
    action: input.action,
    by: input.by,
    startedAt: workflowInfo().startTime.toISOString(),
    progress: { ...progress },
    finished,
    ...(lastError ? { lastError } : {}),
  });
  setHandler(decisionStateQuery, state);

  const count = (result: DecideOrderResult) => {
    if (result.disposition === 'skipped') progress.skipped++;
    else if (result.outcome === 'succeeded') progress.succeeded++;
    else if (result.outcome === 'failed') progress.stillFailed++;
    else progress.stillUnknown++;
  };
  const perRun = Math.max(1, input.continueAsNewAfter ?? DEFAULT_CONTINUE_AS_NEW_AFTER);
  for (let pages = 0; ; pages++) {
    if (pages === perRun) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof BatchDecisionWorkflow>({
        ...input,
        carried: { progress, ...(cursor ? { cursor } : {}), ...(lastError ? { lastError } : {}) },
      });
    }
    const page = await decisionPage({ batchId: input.batchId, action: input.action, cursor });
    progress.looked += page.looked;
    progress.eligible += page.keys.length;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < page.keys.length) {
        const key = page.keys[next++]!;
        try {
          count(await decideOrder({ batchId: input.batchId, action: input.action, key, by: input.by }));
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          progress.failed++;
          lastError = `${key}: ${err.cause?.message ?? err.message}`;
        }
        progress.done++;
      }
    };
    const width = Math.max(1, Math.min(input.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, page.keys.length));
    await Promise.all(Array.from({ length: width }, lane));
    if (page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  finished = true;
  await condition(allHandlersFinished);
  return state();
}
