// Notifications: the targets the config file names (validated at start-up, like the registry), the events
// SuperScript sends them, and the outbox notices those events are written as. Each event's ID is derived from
// what happened (a run and how it ended, a batch's last run, a schedule's new total of skipped or missed
// fires), so however often it is written or sent, a receiver can tell it has seen it; the ID is also the
// delivery ID.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { KeyRecord } from '../shared/schemas/keys.js';
import type { Notice } from '../keystore/store.js';
import type { BatchResult } from '../shared/schemas/batches.js';
import { PAYMENT_SCRIPT } from '../shared/runs.js';
import { storedRequest } from '../runs/stored.js';

/** What a target may ask for. */
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
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'secretEnv is the name of an environment variable')
      .optional(),
    /** Which events it gets; all of them when left out. */
    events: z.array(z.enum(NOTIFY_EVENTS)).nonempty().optional(),
    /** Which scripts' runs, batches and schedules it hears about; all when left out. */
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

/** The states a run.failed reports: it ended, without success, and its outcome is known. */
const FAILED_STATES = ['failed', 'timed_out', 'cancelled', 'terminated'] as const;

interface EventBase {
  /** The delivery ID: the same event sent twice carries the same ID. */
  id: string;
  at: string;
  /** Where a person sees it, in the web UI at SUPERSCRIPT_PUBLIC_URL; absent without one. */
  link?: string;
}

export type NotifyEvent = EventBase &
  (
    | {
        type: 'run.failed';
        key: string;
        script: string;
        runId: string;
        status: (typeof FAILED_STATES)[number];
        exitCode: number | null;
        message: string | null;
      }
    | { type: 'run.outcome_unknown'; key: string; script: string; runId: string; message: string | null }
    | {
        type: 'batch.finished';
        batchId: string;
        script: string;
        status: 'completed' | 'cancelled';
        progress: BatchResult['progress'];
      }
    | {
        type: 'schedule.skipped' | 'schedule.missed';
        schedule: string;
        script: string;
        /** Fires skipped (or missed) since the last notice of this type about the schedule. */
        count: number;
        /** Since the schedule was created, as Temporal counts them. */
        total: number;
      }
    | { type: 'test'; target: string }
  );

/** An ID from what happened, the same in every process; the scope keeps installations apart. */
function eventId(scope: string, type: string, subject: string): string {
  return createHash('sha256').update(`${scope}\n${type}\n${subject}`).digest('hex').slice(0, 32);
}

/** A notice for every target that wants the event (fanned out by the dispatcher). */
function toFanOut(event: NotifyEvent): Notice {
  return { id: event.id, target: '', type: event.type, body: JSON.stringify(event), createdAt: event.at };
}

/**
 * The notice a key's write owes, if any: the write ends a run failed (or timed out, cancelled,
 * terminated) or with an unknown outcome. A write that leaves the run and its state as they were owes none.
 */
export function runNotice(scope: string, before: KeyRecord, after: KeyRecord): Notice | undefined {
  if (after.runId === null || (before.state === after.state && before.runId === after.runId))
    return undefined;
  const run = { key: after.key, script: after.script, runId: after.runId, message: after.message };
  const at = after.endedAt ?? after.updatedAt;
  if (after.state === 'outcome_unknown') {
    const type = 'run.outcome_unknown';
    return toFanOut({ id: eventId(scope, type, after.runId), at, type, ...run });
  }
  const status = FAILED_STATES.find((s) => s === after.state);
  if (status === undefined) return undefined;
  const type = 'run.failed';
  const exitCode = after.result?.exitCode ?? null;
  return toFanOut({ id: eventId(scope, type, after.runId), at, type, ...run, status, exitCode });
}

/** The notice of a batch that finished (completed or cancelled), with its counts. */
export function batchNotice(scope: string, result: BatchResult): Notice {
  const type = 'batch.finished';
  return toFanOut({
    id: eventId(scope, type, `${result.workflowId}/${result.runId}`),
    at: new Date().toISOString(),
    type,
    batchId: result.batchId,
    // Batches of payments written before their result named a request are the payment script's.
    script: storedRequest(result.request).request?.script ?? PAYMENT_SCRIPT,
    status: result.cancelled ? 'cancelled' : 'completed',
    progress: result.progress,
  });
}

/**
 * The notice of fires a schedule skipped (or missed) since the last one: `total` now, `count` of them new.
 * Its ID is the schedule's (with its creation time, as a name can be reused) at this total, so workers that
 * see the same total write the same notice.
 */
export function scheduleNotice(
  scope: string,
  type: 'schedule.skipped' | 'schedule.missed',
  schedule: { name: string; script: string; createdAt: string },
  count: number,
  total: number,
): Notice {
  return toFanOut({
    id: eventId(scope, type, `${schedule.name}@${schedule.createdAt}/${total}`),
    at: new Date().toISOString(),
    type,
    schedule: schedule.name,
    script: schedule.script,
    count,
    total,
  });
}

/** A test event for one target (`superscript notify test NAME`): sent to it whatever it asks for. */
export function testNotice(target: string): Notice {
  const event: NotifyEvent = { id: randomUUID(), at: new Date().toISOString(), type: 'test', target };
  return { ...toFanOut(event), target };
}

/** Whether `target` wants `event`: its event types, and its scripts. */
export function wants(target: NotifyTarget, event: NotifyEvent): boolean {
  if (event.type === 'test') return event.target === target.name;
  if (target.events && !target.events.includes(event.type)) return false;
  return !target.scripts || target.scripts.includes(event.script);
}

/** The event with its link into the web UI at `publicUrl`: the run's page, the batch's, or the schedule's. */
export function withLink(event: NotifyEvent, publicUrl: string | undefined): NotifyEvent {
  if (publicUrl === undefined || event.type === 'test') return event;
  const page =
    event.type === 'batch.finished'
      ? `batches/${encodeURIComponent(event.batchId)}`
      : 'schedule' in event
        ? `schedules/${encodeURIComponent(event.schedule)}`
        : `runs/${encodeURIComponent(event.key)}`;
  return { ...event, link: `${publicUrl.replace(/\/+$/, '')}/ui/#/${page}` };
}
