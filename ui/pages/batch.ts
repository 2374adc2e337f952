// One batch: live progress while it runs, then its per-order report, a page at a time.
import { api } from '../api.js';
import { badge, card, empty, failure, field, mono, pageHeader, stats, table } from '../components.js';
import { external, h, route } from '../dom.js';
import { between, duration, plural, statusLabel, time } from '../format.js';
import { href, poll, type Page, type PageContext } from '../page.js';
import { decisionsCard } from './batch-decisions.js';
import type { BatchOrderView, BatchProgress, BatchView, OrderStatus } from '../types.js';

const PAGE_SIZE = 50;
/** The statuses GET /v1/batches/{id}/orders filters by. */
const ORDER_FILTERS: OrderStatus[] = [
  'succeeded',
  'failed',
  'unknown',
  'already_done',
  'conflict',
  'pending',
];

/** A batch that ended is `succeeded` in Temporal's terms even when orders failed: it finished. */
export function batchStatus(status: string): string {
  return status === 'succeeded' ? 'Finished' : statusLabel(status);
}

export const batchPage: Page = async (root, ctx) => {
  const batchId = ctx.id!;
  const head = h('div', { class: 'stack' });
  const orders = h('div', { class: 'stack' });
  root.append(head, orders);
  let ended = false;
  let polling = false;
  const load = async (): Promise<boolean> => {
    const [batch, { decisions }] = await Promise.all([api.readBatch(batchId), api.batchDecisions(batchId)]);
    if (ctx.signal.aborted) return false;
    const decided = decisionsCard(batch, decisions, ctx, reload);
    head.replaceChildren(...batchHead(batch), ...(decided ? [decided] : []));
    if (batch.status !== 'running' && !ended) {
      ended = true;
      orders.replaceChildren(await ordersCard(batchId, ctx).catch(failure));
    } else if (batch.status === 'running') {
      orders.replaceChildren(
        card('Orders', [
          empty('Each order is reported here when the batch ends; the bar above shows how far it is.'),
        ]),
      );
    }
    // Fresh every second while the batch or one of its decisions runs.
    return batch.status === 'running' || decisions.some((d) => d.status === 'running');
  };
  const reload = async (): Promise<boolean> => {
    const more = await load();
    if (more && !polling) {
      polling = true;
      poll(1000, ctx.signal, async () => (polling = await load()));
    }
    return more;
  };
  await reload();
};

function batchHead(b: BatchView): HTMLElement[] {
  return [
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      route('/batches', 'Batches'),
      h('span', {}, '/'),
      h('span', {}, b.batchId),
    ),
    pageHeader(
      [h('span', { class: 'title-key' }, `Batch ${b.batchId}`), badge(b.status, batchStatus(b.status))],
      b.progress ? `${plural(b.progress.total, 'order')}` : undefined,
      b.temporalUrl ? [external(b.temporalUrl, 'Open in Temporal UI')] : undefined,
    ),
    card('Progress', [
      b.progress ? progress(b.progress) : empty('No progress reported yet.'),
      h(
        'dl',
        { class: 'details compact' },
        field('Workflow', mono(b.workflowId)),
        field('Started', time(b.startedAt)),
        field('Ended', b.closedAt ? time(b.closedAt) : 'still running'),
        field('Duration', b.closedAt ? duration(between(b.startedAt, b.closedAt)) : '—'),
      ),
    ]),
  ];
}

const SEGMENTS: [keyof BatchProgress, string, string][] = [
  ['succeeded', 'Succeeded', 'succeeded'],
  ['failed', 'Failed', 'failed'],
  ['unknown', 'Outcome unknown', 'outcome_unknown'],
  ['conflict', 'Conflict', 'conflict'],
];

function progress(p: BatchProgress): HTMLElement {
  const bar = h('div', {
    class: 'bar',
    role: 'progressbar',
    'aria-valuemin': 0,
    'aria-valuemax': p.total,
    'aria-valuenow': p.done,
  });
  const known = SEGMENTS.filter(([k]) => p[k] !== undefined);
  // Without counts by outcome (a running batch may report only how many are done), one segment for done.
  const parts: [number, string][] =
    known.length > 0 ? known.map(([k, , s]) => [p[k] ?? 0, s]) : [[p.done, 'done']];
  for (const [n, s] of parts) {
    if (n === 0) continue;
    const seg = h('span', { class: `bar-seg seg-${s}` });
    seg.style.width = `${(100 * n) / Math.max(1, p.total)}%`;
    bar.append(seg);
  }
  type Count = [string, string, string];
  const counts: Count[] = [
    ['Done', `${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')}`, 'done'],
    ...known.map(([k, label, s]): Count => [label, (p[k] ?? 0).toLocaleString('en'), s]),
    ...(p.alreadyDone !== undefined
      ? [['Done earlier', p.alreadyDone.toLocaleString('en'), 'already'] as Count]
      : []),
    ['Pending', p.pending.toLocaleString('en'), 'pending'],
  ];
  return h('div', { class: 'progress' }, bar, stats(counts));
}

async function ordersCard(batchId: string, ctx: PageContext): Promise<HTMLElement> {
  const status = ctx.params.get('status') ?? '';
  const cursor = ctx.params.get('cursor') ?? '';
  const page = await api.batchOrders(batchId, {
    limit: PAGE_SIZE,
    status: status || undefined,
    cursor: cursor || undefined,
  });
  const select = h(
    'select',
    { name: 'status', 'aria-label': 'Orders with outcome' },
    h('option', { value: '' }, 'All orders'),
    ORDER_FILTERS.map((s) => h('option', { value: s, selected: status === s }, statusLabel(s))),
  );
  const here = `/batches/${encodeURIComponent(ctx.id!)}`;
  select.addEventListener('change', () => (location.hash = href(here, { status: select.value })));
  // The API's cursor is opaque: the page's place in the list travels beside it, for the label only.
  const first = Number(ctx.params.get('from') ?? 0);
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'span',
      { class: 'muted' },
      page.orders.length > 0 ? `Orders ${first + 1}–${first + page.orders.length}` : '',
    ),
    first > 0 ? h('a', { class: 'button small', href: href(here, { status }) }, 'First page') : null,
    page.nextCursor
      ? h(
          'a',
          {
            class: 'button small',
            href: href(here, { status, cursor: page.nextCursor, from: String(first + page.orders.length) }),
          },
          'Next',
        )
      : null,
  );
  return card(
    'Orders',
    [
      page.orders.length === 0
        ? empty(status ? `No orders ${statusLabel(status).toLowerCase()}.` : 'No orders.')
        : table(
            [
              // A script's row (a batch of rows) has no order ID: its key names it.
              { title: 'Order', cell: (o: BatchOrderView) => o.orderId ?? o.workflowId, className: 'key' },
              // A pending order (never started: the batch was cancelled) has no report, so no outcome.
              { title: 'Outcome', cell: (o) => badge(o.outcome ?? o.status) },
              {
                title: 'How',
                cell: (o) => (o.disposition ? DISPOSITIONS[o.disposition] : '—'),
                className: 'nowrap',
              },
              {
                title: 'Run',
                cell: (o) =>
                  o.disposition === 'conflict'
                    ? '—'
                    : route(`/runs/${encodeURIComponent(o.workflowId)}`, o.workflowId),
                className: 'key',
              },
              { title: 'Exit', cell: (o) => o.exitCode ?? '—', wide: true, className: 'num' },
              { title: 'Message', cell: (o) => h('span', { class: 'muted' }, o.message ?? ''), wide: true },
            ],
            page.orders,
          ),
      pager,
    ],
    select,
  );
}

const DISPOSITIONS: Record<NonNullable<BatchOrderView['disposition']>, string> = {
  executed: 'Ran in this batch',
  already_done: 'Done earlier',
  conflict: 'Key holds another request',
};
