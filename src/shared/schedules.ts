// What a schedule's fire carries from Temporal's schedule to the ScheduleFireWorkflow it starts, and what that
// workflow reports; imported by workflows, so types and constants only.
import type { ScriptArgs } from './schemas/runs.js';

/** The action's one argument: everything a fire needs to form its key and start its run. */
export interface ScheduleFireInput {
  /** The schedule's name. */
  schedule: string;
  script: string;
  args: ScriptArgs;
  /** The schedule's key template; `{scheduledTime}` is the fire's scheduled time (UTC, to the second). */
  key: string;
  /** The token that created the schedule: its fires run with that authority, and are recorded as by it. */
  createdBy: string;
}

/** What a fire's activity hands its workflow: the fire's key and whether this fire ran the script. */
export interface FireReport {
  key: string;
  /** None when the fire ran nothing (its creator's authority lapsed, and the schedule was paused). */
  runId?: string;
  /** False when the key had run already (a backfill, a catch-up, another schedule) and was only replayed. */
  executed: boolean;
  status: string;
}

/**
 * Who created a schedule the config file declares: the operator who wrote the file, not a token (no token
 * name starts with "("), so its fires need no token's authority.
 */
export const CONFIG_CREATOR = '(config file)';

/** The field of a schedule's key template that stands for the fire's scheduled time. */
export const FIRE_TIME_FIELD = 'scheduledTime';

/** Temporal's search attribute on a workflow a schedule started: the time the fire was scheduled for. */
export const SCHEDULED_START_ATTRIBUTE = 'TemporalScheduledStartTime';
