// Batches, newest first, by status.
import { api } from '../api.js';
import { badge, empty, failure, pageHeader, table } from '../components.js';
import { h, route } from '../dom.js';
import { between, duration, time } from '../format.js';
import { href, poll, type Page } from '../page.js';
import type { BatchSummary } from '../types.js';
import { batchStatus } from './batch.js';

const STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'terminated'];

export const batchesPage: Page = async (root, { params, signal }) => {
  const status = params.get('status') ?? '';
  const select = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'All batches'),
    STATUSES.map((s) => h('option', { value: s, selected: status === s }, batchStatus(s))),
  );
  select.addEventListener('change', () => (location.hash = href('/batches', { status: select.value })));
  const results = h('div', { class: 'results' });
  root.append(
    pageHeader('Batches', 'Each batch charges its orders once each, under the same keys as single payments.'),
    h(
      'form',
      { class: 'filters', role: 'search' },
      h('label', { class: 'field' }, h('span', {}, 'Status'), select),
    ),
    results,
  );
  const load = async () => {
    const view = await api.listBatches({ status: status || undefined, limit: 100 }).then(batchTable, failure);
    if (!signal.aborted) results.replaceChildren(view);
    return true;
  };
  await load();
  poll(5000, signal, load);
};

function batchTable({ batches }: { batches: BatchSummary[] }): HTMLElement {
  if (batches.length === 0) return empty('No batches match.');
  return table(
    [
      {
        title: 'Batch',
        cell: (b) => route(`/batches/${encodeURIComponent(b.batchId)}`, b.batchId),
        className: 'key',
      },
      { title: 'Status', cell: (b) => badge(b.status, batchStatus(b.status)) },
      { title: 'Orders', cell: (b) => b.orders?.toLocaleString('en') ?? '—', className: 'num' },
      { title: 'Started', cell: (b) => time(b.startedAt), className: 'nowrap' },
      {
        title: 'Duration',
        cell: (b) => (b.closedAt ? duration(between(b.startedAt, b.closedAt)) : 'running'),
        wide: true,
      },
    ],
    batches,
  );
}
