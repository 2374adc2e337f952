// The fireSchedule activity: one fire of a schedule, run through the front door like any request (RunService
// .run), under the key its template forms from the fire's scheduled time, by the schedule's creator; it
// waits for the run to end. A key that ran already (a backfill over fires that ran, a catch-up, a trigger in
// the same second, another schedule or an `exec` with the same key) is replayed, not run again. A fire runs
// with its creator's authority: when that token is revoked or has lost a scope it needs, the schedule is
// paused with a note saying why, and the fire runs nothing.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { maySchedule, mayRun } from '../api/scopes.js';
import type { TokenStore } from '../config/tokens.js';
import { InvalidRequestError, KeyConflictError } from '../errors.js';
import { fireKey } from '../runs/keys.js';
import type { RunService } from '../runs/service.js';
import { scheduleId } from '../shared/ids.js';
import { CONFIG_CREATOR, type ScheduleFireInput } from '../shared/schedules.js';
import type { ScheduleActivities } from '../activities/types.js';

export function createFireSchedule(
  runs: RunService,
  tokens?: TokenStore,
): ScheduleActivities['fireSchedule'] {
  return async function fireSchedule(input) {
    const key = fireKey(input.key, input.args, new Date(input.scheduledTime));
    const lapsed = tokens && lapsedAuthority(tokens, input);
    if (lapsed) {
      await runs.client.schedule
        .getHandle(scheduleId(input.schedule, runs.taskQueue))
        .pause(`Paused by SuperScript: ${lapsed} Recreate the schedule with a live token to run it again.`);
      return { key, executed: false, status: 'paused' };
    }
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 5000);
    try {
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

/** Why the creator's token may no longer fire this schedule; undefined while it may. */
function lapsedAuthority(tokens: TokenStore, input: ScheduleFireInput): string | undefined {
  if (input.createdBy === CONFIG_CREATOR) return undefined;
  const creator = tokens.named(input.createdBy);
  if (!creator) return `its creator's token "${input.createdBy}" is revoked or no longer exists.`;
  if (!maySchedule(creator))
    return `its creator's token "${input.createdBy}" no longer has the schedule scope.`;
  if (!mayRun(creator, input.script))
    return `its creator's token "${input.createdBy}" may no longer run ${input.script}.`;
  return undefined;
}
