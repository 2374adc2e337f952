// Runs, newest first, filtered by status, script and start time, or found by a key or a payment's order ID.
// Runs whose outcome is unknown come first: each needs an operator's decision.
import { api } from '../api.js';
import { badge, empty, failure, notice, pageHeader, table, type Column } from '../components.js';
import { h, route } from '../dom.js';
import { RUN_STATUSES, argsText, between, duration, plural, statusLabel, time } from '../format.js';
import { href, poll, type Page } from '../page.js';
import type { RunView } from '../types.js';

const FILTERS = ['find', 'status', 'script', 'since', 'until'] as const;

export const runsPage: Page = async (root, { params, signal }) => {
  const results = h('div', { class: 'results' });
  root.append(
    pageHeader('Runs', 'Every script and payment run, newest first. Refreshes every few seconds.'),
    findForm(params),
    filterForm(params),
    results,
  );
  const load = async () => {
    const view = await runsView(params).catch(failure);
    if (!signal.aborted) results.replaceChildren(view);
    return true;
  };
  await load();
  poll(5000, signal, load);
};

async function runsView(params: URLSearchParams): Promise<Node> {
  const query = (extra: Record<string, string>) => ({ ...pick(params), limit: 100, ...extra });
  const status = params.get('status');
  // Unknown outcomes are looked up on their own too, so they show even when older than the newest 100.
  const [{ runs }, unknown] = await Promise.all([
    api.list(query({})),
    status ? undefined : api.list(query({ status: 'outcome_unknown' })),
  ]);
  const decisions = unknown?.runs ?? runs.filter((r) => r.status === 'outcome_unknown');
  const pinned = new Set(decisions.map((r) => r.workflowId));
  const rows = [...decisions, ...runs.filter((r) => !pinned.has(r.workflowId))];
  const parts: Node[] = [];
  if (decisions.length > 0) {
    parts.push(
      notice(
        'warning',
        `${plural(decisions.length, 'run')} ${decisions.length === 1 ? 'needs' : 'need'} a decision`,
        'Their worker stopped while the script ran: each script may or may not have done its work, and nothing reruns it by itself. ',
        'Open one to check it, then retry it or leave it as it is.',
      ),
    );
  }
  const find = params.get('find');
  const none = find
    ? `No run found: no key is "${find}", and no payment is for order "${find}" (key payment-${find}).`
    : 'No runs match these filters.';
  parts.push(rows.length > 0 ? runTable(rows) : empty(none));
  return h('div', {}, parts);
}

function runTable(rows: RunView[]): HTMLElement {
  const columns: Column<RunView>[] = [
    {
      title: 'Status',
      cell: (r) => [
        badge(r.status),
        r.status === 'outcome_unknown' ? h('span', { class: 'decision' }, 'Needs decision') : null,
      ],
    },
    {
      title: 'Key',
      cell: (r) => route(`/runs/${encodeURIComponent(r.workflowId)}`, r.workflowId),
      className: 'key',
    },
    { title: 'Script', cell: (r) => r.request?.script ?? '—', className: 'nowrap' },
    {
      title: 'Arguments',
      cell: (r) => {
        const text = argsText(r.request?.args);
        return h('span', { class: 'mono muted args-text', title: text }, text);
      },
      wide: true,
    },
    {
      title: 'Started',
      cell: (r) => h('time', { datetime: r.startedAt ?? '' }, time(r.startedAt)),
      className: 'nowrap',
    },
    {
      title: 'Duration',
      cell: (r) => duration(between(r.startedAt, r.closedAt)),
      wide: true,
      className: 'nowrap',
    },
  ];
  return table(columns, rows, (r) => (r.status === 'outcome_unknown' ? 'needs-decision' : undefined));
}

/** Finds a run by its key, or a payment by its order ID; the other filters still apply. */
function findForm(params: URLSearchParams): HTMLElement {
  const find = h('input', {
    name: 'find',
    type: 'search',
    placeholder: 'a key, or an order ID',
    value: params.get('find') ?? '',
    autocomplete: 'off',
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    h('label', { class: 'field' }, h('span', {}, 'Key or order ID'), find),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Find')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = href('/runs', { ...Object.fromEntries(params), find: find.value.trim() });
  });
  return form;
}

function filterForm(params: URLSearchParams): HTMLElement {
  const status = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'All statuses'),
    RUN_STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, statusLabel(s))),
  );
  const script = h('input', {
    name: 'script',
    type: 'text',
    placeholder: 'any script',
    value: params.get('script') ?? '',
  });
  const since = h('input', {
    name: 'since',
    type: 'datetime-local',
    step: 1,
    value: toLocalInput(params.get('since')),
  });
  const until = h('input', {
    name: 'until',
    type: 'datetime-local',
    step: 1,
    value: toLocalInput(params.get('until')),
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    h('label', { class: 'field' }, h('span', {}, 'Status'), status),
    h('label', { class: 'field' }, h('span', {}, 'Script'), script),
    h('label', { class: 'field' }, h('span', {}, 'Started after'), since),
    h('label', { class: 'field' }, h('span', {}, 'Started before'), until),
    h(
      'div',
      { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'button primary' }, 'Apply'),
      h('a', { class: 'button', href: '#/runs' }, 'Clear'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = href('/runs', {
      find: params.get('find') ?? undefined,
      status: status.value,
      script: script.value.trim(),
      since: fromLocalInput(since.value),
      until: fromLocalInput(until.value),
    });
  });
  return form;
}

function pick(params: URLSearchParams): Record<string, string> {
  return Object.fromEntries(FILTERS.flatMap((f) => (params.get(f) ? [[f, params.get(f)!]] : [])));
}

/** An ISO time as a datetime-local input's value (local time, no zone). */
function toLocalInput(iso: string | null): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

function fromLocalInput(value: string): string | undefined {
  return value ? new Date(value).toISOString() : undefined;
}
