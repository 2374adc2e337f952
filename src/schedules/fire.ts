// The fireSchedule activity: one fire of a schedule, run through the front door like any request (RunService
// .run), under the key its template forms from the fire's scheduled time, by the schedule's creator; it
// waits for the run to end. A key that ran already (a backfill over fires that ran, a catch-up, a trigger in
// the same second, another schedule or an `exec` with the same key) is replayed, not run again.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { InvalidRequestError, KeyConflictError } from '../errors.js';
import { fireKey } from '../runs/keys.js';
import type { RunService } from '../runs/service.js';
import type { ScheduleActivities } from '../activities/types.js';

export function createFireSchedule(runs: RunService): ScheduleActivities['fireSchedule'] {
  return async function fireSchedule(input) {
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 5000);
    try {
      const key = fireKey(input.key, input.args, new Date(input.scheduledTime));
      const answer = await runs.run(
        { script: input.script, args: input.args, key },
        {
          by: `${input.createdBy} (schedule ${input.schedule})`,
          waitMs: Infinity,
          signal: ctx.cancellationSignal,
        },
      );
      return { key, runId: answer.run.runId, executed: answer.executed, status: answer.run.status };
    } catch (err) {
      // The registry changed under the schedule, or the key stands for another request: no retry helps.
      if (err instanceof InvalidRequestError || err instanceof KeyConflictError)
        throw ApplicationFailure.nonRetryable(err.message, err.name);
      throw err;
    } finally {
      clearInterval(beat);
    }
  };
}
