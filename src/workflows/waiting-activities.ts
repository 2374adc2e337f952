// The activities batches and bulk decisions schedule on the batch task queue, with the options they share:
// they mostly wait for runs, so they live on a queue of their own and never hold the slots scripts run in.
import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { BatchActivities } from '../activities/types.js';
import { batchTaskQueue } from '../shared/ids.js';

export function waitingActivities(extra: Partial<ActivityOptions> = {}): BatchActivities {
  return proxyActivities<BatchActivities>({
    taskQueue: batchTaskQueue(workflowInfo().taskQueue),
    // Each may wait as long as the runs it waits for (a capped script's may first wait its turn): the
    // heartbeat, not this, is what notices a dead worker. Starting is idempotent and waiting only reads, so
    // they are safe to retry.
    startToCloseTimeout: '365 days',
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 10 },
    ...extra,
  });
}
