// Notifications: the targets the config file names (validated at start-up, like the registry), and the
// events SuperScript sends them, with the JSON body a `json` target receives. Each event has an ID derived
// from what happened (a key's run and how it ended, a batch, a schedule's fire), so however often it is
// sent, a receiver can tell it has seen it.
import { z } from 'zod';

export const NOTIFY_EVENTS = [
  'run.failed',
  'run.outcome_unknown',
  'batch.finished',
  'schedule.skipped',
  'schedule.missed',
] as const;
export type NotifyEventType = (typeof NOTIFY_EVENTS)[number];

export const NotifyTargetSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a target name is lowercase letters, digits, - and _'),
    url: z.url({ protocol: /^https?$/ }),
    format: z.enum(['json', 'slack']),
    /** The environment variable holding the HMAC key a `json` target's deliveries are signed with. */
    secretEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
      .optional(),
    /** Which events it gets; all of them when left out. */
    events: z.array(z.enum(NOTIFY_EVENTS)).nonempty().optional(),
    /** Which scripts' runs it hears about (run.* events); all when left out. */
    scripts: z.array(z.string()).nonempty().optional(),
  })
  .strict()
  .refine((t) => t.format !== 'json' || t.secretEnv !== undefined, {
    message: 'a json target signs its deliveries: name the environment variable of its key in secretEnv',
    path: ['secretEnv'],
  });
export type NotifyTarget = z.infer<typeof NotifyTargetSchema>;

export const NotifyTargetsSchema = z
  .array(NotifyTargetSchema)
  .refine((list) => new Set(list.map((t) => t.name)).size === list.length, 'target names must be unique');

const progress = z.object({
  total: z.number(),
  done: z.number(),
  pending: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  unknown: z.number(),
  alreadyDone: z.number(),
  conflict: z.number(),
});

const base = {
  /** Derived from what happened: the same event sent twice carries the same ID. */
  id: z.string(),
  at: z.string(),
  /** Where a person sees it (SUPERSCRIPT_PUBLIC_URL's web UI), when the installation has a public URL. */
  link: z.string().optional(),
};

export const NotifyEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('run.failed'),
    key: z.string(),
    script: z.string(),
    runId: z.string(),
    /** failed, timed_out, cancelled or terminated. */
    status: z.string(),
    exitCode: z.number().nullable(),
    message: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('run.outcome_unknown'),
    key: z.string(),
    script: z.string(),
    runId: z.string(),
    message: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('batch.finished'),
    batchId: z.string(),
    script: z.string(),
    status: z.string(),
    progress,
  }),
  z.object({
    ...base,
    type: z.literal('schedule.skipped'),
    schedule: z.string(),
    count: z.number(),
    /** The fire times skipped, when known (UTC). */
    scheduledTimes: z.array(z.string()),
  }),
  z.object({
    ...base,
    type: z.literal('schedule.missed'),
    schedule: z.string(),
    count: z.number(),
  }),
  z.object({ ...base, type: z.literal('test'), target: z.string() }),
]);
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;

/** Whether `target` wants `event`: its event types, and for a run, its scripts. */
export function wants(target: NotifyTarget, event: NotifyEvent): boolean {
  if (event.type === 'test') return true;
  if (target.events && !target.events.includes(event.type)) return false;
  if (target.scripts && (event.type === 'run.failed' || event.type === 'run.outcome_unknown'))
    return target.scripts.includes(event.script);
  if (target.scripts && event.type === 'batch.finished') return target.scripts.includes(event.script);
  return true;
}
