// One fire of a SuperScript schedule. Temporal's schedule starts this workflow (under the schedule's workflow
// ID with the fire's time appended, so not under the run's key); it reads the time the fire was scheduled
// for and has an activity start or attach to the key's run through the front door, and waits for that run
// to end: while it waits, the schedule's overlap policy sees the fire as running.
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type { ScheduleActivities } from '../activities/types.js';
import { batchTaskQueue } from '../shared/ids.js';
import { SCHEDULED_START_ATTRIBUTE, type FireReport, type ScheduleFireInput } from '../shared/schedules.js';

const SCHEDULED_START = defineSearchAttributeKey(SCHEDULED_START_ATTRIBUTE, SearchAttributeType.DATETIME);

export async function ScheduleFireWorkflow(input: ScheduleFireInput): Promise<FireReport> {
  const scheduledAt = workflowInfo().typedSearchAttributes.get(SCHEDULED_START);
  if (!scheduledAt) {
    // Only a schedule sets it; a fire started by hand has no time to make its key from.
    throw ApplicationFailure.nonRetryable(
      `${SCHEDULED_START_ATTRIBUTE} is not set: a schedule fire is started by its schedule, not by hand.`,
      'NotScheduled',
    );
  }
  const { fireSchedule } = proxyActivities<ScheduleActivities>({
    // Beside the batches' waiting activities: it only waits, and must never hold a slot a script runs in.
    taskQueue: batchTaskQueue(workflowInfo().taskQueue),
    // Starting is idempotent (the key store decides) and waiting only reads, so a retry is safe; the run
    // may take as long as its script's timeout allows: the heartbeat is what notices a dead worker.
    startToCloseTimeout: '365 days',
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 10 },
  });
  return fireSchedule({ ...input, scheduledTime: scheduledAt.toISOString() });
}
