// `superscript schedule create|list|describe|pause|unpause|trigger|backfill|delete`: clients of the HTTP
// API's /v1/schedules, held to the token's scopes like any caller (creating and changing need `schedule`).
import type { ScheduleRequest, ScheduleView } from '../../shared/schemas/schedules.js';
import { apiClient } from '../api-client.js';
import type { Context } from '../context.js';
import { forTerminal, terminalSafeJson } from '../terminal.js';
import { scriptArgs } from './runs.js';

export interface CreateOptions {
  script: string;
  cron?: string;
  every?: string;
  arg?: string[];
  key?: string;
  overlap?: ScheduleRequest['overlap'];
  catchUpWindow?: string;
  timezone?: string;
  note?: string;
  json?: boolean;
}

export async function create(ctx: Context, name: string, o: CreateOptions): Promise<number> {
  const request: ScheduleRequest = {
    name,
    script: o.script,
    args: scriptArgs(ctx, o.script, o.arg ?? []),
    ...defined({
      cron: o.cron,
      every: o.every,
      key: o.key,
      overlap: o.overlap,
      catchUpWindow: o.catchUpWindow,
      timezone: o.timezone,
      note: o.note,
    }),
  };
  return show(await apiClient(ctx.settings).createSchedule(request), o);
}

export async function list(ctx: Context, o: { json?: boolean }): Promise<number> {
  const { schedules } = await apiClient(ctx.settings).listSchedules();
  if (o.json) return print(terminalSafeJson({ schedules }));
  if (schedules.length === 0) return print('no schedules');
  return print(
    schedules
      .map(
        (s) =>
          `${s.name}  ${s.paused ? 'paused' : 'active'}  ${s.script}  ${timing(s)}  next ${s.nextFires[0] ?? '-'}  skipped ${s.fires.skippedOverlap}`,
      )
      .join('\n'),
  );
}

export async function describe(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  return show(await apiClient(ctx.settings).describeSchedule(name), o);
}

export async function pause(
  ctx: Context,
  name: string,
  paused: boolean,
  o: { note?: string; json?: boolean },
) {
  return show(await apiClient(ctx.settings).pauseSchedule(name, paused, o.note), o);
}

export async function trigger(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  return show(await apiClient(ctx.settings).triggerSchedule(name), o);
}

export async function backfill(
  ctx: Context,
  name: string,
  o: { from: string; to: string; json?: boolean },
): Promise<number> {
  return show(await apiClient(ctx.settings).backfillSchedule(name, { from: o.from, to: o.to }), o);
}

export async function remove(ctx: Context, name: string): Promise<number> {
  await apiClient(ctx.settings).deleteSchedule(name);
  return print(`deleted schedule ${name} (its runs and keys stay)`);
}

function show(s: ScheduleView, o: { json?: boolean }): number {
  if (o.json) return print(terminalSafeJson(s));
  const lines = [
    `${s.name}  ${s.paused ? 'paused' : 'active'}${s.note ? `  (${s.note})` : ''}`,
    `  runs      ${s.script} ${JSON.stringify(s.args)} under key ${s.key}, as ${s.createdBy}`,
    `  timing    ${timing(s)} (${s.timezone}), overlap ${s.overlap}, catch-up window ${s.catchUpWindowSeconds}s`,
    `  fires     ${s.fires.taken} taken, ${s.fires.skippedOverlap} skipped (overlap), ${s.fires.missedCatchUpWindow} missed (catch-up window)`,
    `  next      ${s.nextFires.join(', ') || '-'}`,
    '  last:',
    ...s.lastFires.map((f) => `    ${f.scheduledAt}  ${f.key}`),
  ];
  return print(lines.join('\n'));
}

function timing(s: ScheduleView): string {
  return s.cron ? `cron "${s.cron}"` : `every ${s.every}`;
}

function print(text: string): number {
  process.stdout.write(forTerminal(process.stdout, `${text}\n`));
  return 0;
}

/** The fields that were given: an option left out stays out of the request. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
