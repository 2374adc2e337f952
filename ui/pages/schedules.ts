// Schedules: each with its state, timing, next fire and skipped fires; one schedule with its next fires, its
// last fires linked to their runs, and pause or unpause for a token with the `schedule` scope.
import { api } from '../api.js';
import { badge, card, empty, failure, field, mono, notice, pageHeader, table } from '../components.js';
import { h, route } from '../dom.js';
import { time } from '../format.js';
import { poll, type Page } from '../page.js';
import { maySchedule } from '../scopes.js';
import type { ScheduleView } from '../types.js';

export const schedulesPage: Page = async (root, { signal }) => {
  const results = h('div', { class: 'results' });
  root.append(
    pageHeader(
      'Schedules',
      'Each fire runs its script once, under a key made from the fire’s scheduled time.',
    ),
    results,
  );
  const load = async () => {
    const view = await api.listSchedules().then(({ schedules }) => scheduleTable(schedules), failure);
    if (!signal.aborted) results.replaceChildren(view);
    return true;
  };
  await load();
  poll(5000, signal, load);
};

export const schedulePage: Page = async (root, { caller, id, signal }) => {
  const name = id!;
  const load = async () => {
    const view = await api.describeSchedule(name).then(
      (s) => scheduleDetails(s, maySchedule(caller), () => void load()),
      (err: unknown) => [failure(err)],
    );
    if (!signal.aborted) root.replaceChildren(...view);
    return true;
  };
  await load();
  poll(5000, signal, load);
};

function state(s: ScheduleView): HTMLElement {
  return s.paused ? badge('paused', 'Paused') : badge('active', 'Active');
}

function timing(s: ScheduleView): string {
  return s.cron ? `cron ${s.cron} (${s.timezone})` : `every ${s.every}`;
}

function scheduleTable(schedules: ScheduleView[]): HTMLElement {
  if (schedules.length === 0) return empty('No schedules.');
  return table(
    [
      {
        title: 'Schedule',
        cell: (s) => route(`/schedules/${encodeURIComponent(s.name)}`, s.name),
        className: 'key',
      },
      { title: 'State', cell: state },
      { title: 'Script', cell: (s) => s.script },
      { title: 'Timing', cell: timing, wide: true },
      { title: 'Next fire', cell: (s) => (s.paused ? '—' : time(s.nextFires[0])), className: 'nowrap' },
      { title: 'Skipped', cell: (s) => s.fires.skippedOverlap, className: 'num' },
      { title: 'Missed', cell: (s) => s.fires.missedCatchUpWindow, className: 'num', wide: true },
    ],
    schedules,
  );
}

function scheduleDetails(s: ScheduleView, mayChange: boolean, reload: () => void): HTMLElement[] {
  const toggle = mayChange
    ? h(
        'button',
        {
          type: 'button',
          class: 'button small',
          onclick: () =>
            void api
              .pauseSchedule(s.name, !s.paused, `${s.paused ? 'Unpaused' : 'Paused'} from the web UI.`)
              .then(reload),
        },
        s.paused ? 'Unpause' : 'Pause',
      )
    : null;
  const skipped = s.fires.skippedOverlap + s.fires.missedCatchUpWindow;
  const parts = [
    pageHeader([h('span', { class: 'title-key' }, `Schedule ${s.name}`), state(s)], s.note, [toggle]),
    skipped > 0
      ? notice(
          'warning',
          `${skipped} fire(s) did not run`,
          `${s.fires.skippedOverlap} skipped because the previous fire still ran, ${s.fires.missedCatchUpWindow} missed past the catch-up window.`,
        )
      : null,
    card('Schedule', [
      h(
        'dl',
        { class: 'details compact' },
        field('Script', s.script),
        field('Arguments', mono(JSON.stringify(s.args))),
        field('Key template', mono(s.key)),
        field('Timing', timing(s)),
        field('Overlap', s.overlap),
        field('Catch-up window', `${s.catchUpWindowSeconds} s`),
        field('Created by', s.createdBy),
        field('Fires taken', String(s.fires.taken)),
      ),
    ]),
    card('Next fires', [
      s.paused || s.nextFires.length === 0
        ? empty('None while paused.')
        : h(
            'ul',
            {},
            s.nextFires.map((t) => h('li', {}, time(t))),
          ),
    ]),
    card('Last fires', [
      s.lastFires.length === 0
        ? empty('No fires yet.')
        : table(
            [
              { title: 'Scheduled for', cell: (f) => time(f.scheduledAt), className: 'nowrap' },
              {
                title: 'Run',
                cell: (f) => route(`/runs/${encodeURIComponent(f.key)}`, f.key),
                className: 'key',
              },
            ],
            [...s.lastFires].reverse(),
          ),
    ]),
  ];
  return parts.filter((p) => p !== null);
}
