// Idempotency keys that do not come through a route's schema (a key a script's template forms, a payment's
// key from its order, `exec --key`, a batch file's rows, a schedule's fire), checked by the same Key schema.
import { fillTemplate } from '../config/scripts.js';
import { InvalidRequestError } from '../errors.js';
import { FIRE_TIME_FIELD } from '../shared/schedules.js';
import { Key, type ScriptArgs } from '../shared/schemas/runs.js';

export function validateKey(key: unknown, field = 'key'): string {
  const checked = Key.safeParse(key);
  if (!checked.success) throw new InvalidRequestError(checked.error.issues[0]!.message, field);
  return checked.data;
}

/**
 * A schedule's fire's key: its template filled like a script's (see fillTemplate) from the schedule's
 * arguments and `{scheduledTime}`, the fire's scheduled time in UTC to the second. The same schedule time
 * always makes the same key, whichever way the fire came (on time, catch-up, backfill, trigger).
 */
export function fireKey(template: string, args: ScriptArgs, scheduledAt: Date): string {
  return validateKey(fillTemplate(template, { ...args, [FIRE_TIME_FIELD]: utcSecond(scheduledAt) }));
}

/** "2026-12-07T03:52:10Z": a time in UTC, to the second. */
export function utcSecond(at: Date): string {
  return new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
