// A schedule's shapes, each defined once in zod: what creating one takes, how one is shown (its timing,
// policies, state, next fires and last fires with their runs' keys, and the skip and miss counts), and what
// pausing, unpausing and backfilling take. The types are inferred from them; the web UI imports them with
// `import type` only.
import { z } from 'zod';
import { IsoTime, Key, ScriptArgs, ScriptName } from './runs.js';

/** A schedule's name: also the start of its fires' default keys, so it looks like the start of a key. */
export const ScheduleName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a schedule name is 1-64 lowercase letters, digits, - and _')
  .describe('The schedule’s name.');

export const OverlapPolicy = z
  .enum(['skip', 'buffer-one', 'allow-all'])
  .describe(
    'What a fire does while the previous one still runs: skip it (the default), run it after, or run both.',
  );
export type OverlapPolicy = z.infer<typeof OverlapPolicy>;

/** "90s", "5m", "1h", "1d": a whole number and a unit. */
export const DURATION = /^([1-9][0-9]{0,8})(s|m|h|d)$/;
const Duration = z.string().regex(DURATION, 'a duration is a whole number and s, m, h or d, e.g. 30s or 5m');

/** What a schedule is, but its name. A cron expression or an interval, not both. */
const ScheduleFields = z.strictObject({
  script: ScriptName,
  args: ScriptArgs.optional(),
  cron: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('A cron expression (5 to 7 fields, or @daily and the like).'),
  every: Duration.optional().describe('An interval, e.g. 30s, 5m, 1h.'),
  key: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The key template: {scheduledTime} and {argument} fields. Default: <name>-{scheduledTime}.'),
  overlap: OverlapPolicy.optional(),
  catchUpWindow: Duration.optional().describe(
    'How late a fire missed while Temporal was down may still run. Default: 1m.',
  ),
  timezone: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('IANA time zone of the cron expression. Default: UTC.'),
  note: z.string().max(500).optional(),
});

/** A schedule fires on a cron expression or at an interval: one of them. */
function oneTiming<T extends z.ZodType<{ cron?: string; every?: string }>>(schema: T) {
  return schema.refine((r) => (r.cron === undefined) !== (r.every === undefined), {
    message: 'give either "cron" or "every", not both and not neither',
    path: ['cron'],
  });
}

/** POST /v1/schedules. */
export const ScheduleRequest = oneTiming(ScheduleFields.extend({ name: ScheduleName }));
export type ScheduleRequest = z.infer<typeof ScheduleRequest>;

/** A schedule declared in the config file, under its name (`"schedules": {"nightly": {...}}`). */
export const DeclaredSchedule = oneTiming(ScheduleFields);
export type DeclaredSchedule = z.infer<typeof DeclaredSchedule>;

export const ScheduleParams = z.strictObject({ name: ScheduleName });

/** POST /v1/schedules/{name}/pause and /unpause: why, shown on the schedule. */
export const PauseRequest = z.strictObject({ note: z.string().max(500).optional() }).optional();
export type PauseRequest = z.infer<typeof PauseRequest>;

/** POST /v1/schedules/{name}/backfill: the fires the schedule would have had between the two times. */
export const BackfillRequest = z.strictObject({ from: IsoTime, to: IsoTime });
export type BackfillRequest = z.infer<typeof BackfillRequest>;

/** One fire the schedule took: when it was scheduled for, and the key of the run it stands for. */
export const ScheduleFire = z.object({ scheduledAt: z.string(), takenAt: z.string(), key: Key });
export type ScheduleFire = z.infer<typeof ScheduleFire>;

export const ScheduleView = z.object({
  name: ScheduleName,
  script: ScriptName,
  args: ScriptArgs,
  key: z.string(),
  cron: z.string().optional(),
  every: z.string().optional(),
  timezone: z.string(),
  overlap: z.string(),
  catchUpWindowSeconds: z.number(),
  paused: z.boolean(),
  note: z.string().optional(),
  /** The token whose authority the fires run with. */
  createdBy: z.string(),
  createdAt: z.string(),
  nextFires: z.array(z.string()),
  /** The latest fires, newest last, each with its run's key (GET /v1/runs/{key}). */
  lastFires: z.array(ScheduleFire),
  fires: z.object({
    taken: z.number(),
    /** Skipped because the previous fire still ran (overlap policy skip). */
    skippedOverlap: z.number(),
    /** Not taken because they were later than the catch-up window (Temporal was unreachable). */
    missedCatchUpWindow: z.number(),
  }),
});
export type ScheduleView = z.infer<typeof ScheduleView>;

export const ScheduleList = z.object({ schedules: z.array(ScheduleView) });
export type ScheduleList = z.infer<typeof ScheduleList>;

export const Deleted = z.object({ name: ScheduleName, deleted: z.literal(true) });
export type Deleted = z.infer<typeof Deleted>;
