// A batch from a file: a CSV or JSON-lines file read in the browser into rows of the payment script's arguments,
// planned (POST /v1/batches/plan: what is new, already done, in flight or a conflict, and the bad rows), and
// started with the same rows (POST /v1/batches) only once the operator confirms.
import { ApiError } from '../../src/shared/api-client.js';
import { api } from '../api.js';
import { card, failure, notice, stats, table } from '../components.js';
import { confirmAction } from '../dialogs.js';
import { h } from '../dom.js';
import { plural } from '../format.js';
import { readRows, type BadRow, type Row } from '../rows.js';
import type { BatchPlanReport, OrderRequest, ScriptView } from '../types.js';

/** How many rows the API may name as bad, one plan request each, before the file is sent back whole. */
const MAX_REFUSED_ROWS = 20;
/** The API names the first bad order by its index: `orders[3].amount`. */
const ORDER_FIELD = /^orders\[(\d+)\]/;

export function batchUpload(script: ScriptView): HTMLElement {
  const file = h('input', {
    type: 'file',
    name: 'file',
    accept: '.csv,.jsonl,.ndjson,text/csv,application/x-ndjson',
  });
  const batchId = h('input', { type: 'text', name: 'batchId', maxlength: 100, autocomplete: 'off' });
  const plan = h('div', { class: 'stack', 'aria-live': 'polite' });
  const columns = script.args.map((a) => a.name).join(', ');
  const read = async () => {
    const chosen = file.files?.[0];
    if (!chosen) return plan.replaceChildren();
    plan.replaceChildren(h('p', { class: 'loading' }, `Planning ${chosen.name}…`));
    const id = batchId.value.trim() || undefined;
    const view = await chosen
      .text()
      .then((text) => {
        const { rows, bad } = readRows(chosen.name, text, script.args);
        return planned(rows, bad, id);
      })
      .catch(failure);
    plan.replaceChildren(view);
  };
  file.addEventListener('change', () => void read());
  batchId.addEventListener('change', () => void read());
  return card('Start a batch of payments', [
    h(
      'p',
      { class: 'muted' },
      `A CSV file with the header row ${columns}, or JSON lines, one {${columns}} object a line. `,
      'Nothing starts until you have seen its plan and confirmed.',
    ),
    h(
      'div',
      { class: 'form-fields' },
      h('label', { class: 'field' }, h('span', {}, 'Batch file'), file),
      h(
        'label',
        { class: 'field' },
        h('span', {}, 'Batch ID'),
        batchId,
        h('small', { class: 'muted' }, 'optional; made up when left empty'),
      ),
    ),
    plan,
  ]);
}

/** Today a batch holds payments: each row's order ID and amount, the payment script's arguments. */
function asOrder({ values }: Row): OrderRequest {
  return { orderId: String(values.orderId), amount: Number(values.amount) };
}

/**
 * The plan of the file's good rows. The API checks each value as a run would and names the first it refuses:
 * that row joins the bad ones and the rest are planned again, so one bad value does not hide the plan.
 */
async function planned(rows: Row[], bad: BadRow[], batchId: string | undefined): Promise<HTMLElement> {
  let good = rows;
  for (let refused = 0; good.length > 0; refused++) {
    try {
      const report = await api.planBatch({ orders: good.map(asOrder), ...(batchId ? { batchId } : {}) });
      return planView(report, good, bad, batchId);
    } catch (err) {
      const at = err instanceof ApiError ? ORDER_FIELD.exec(err.body.field ?? '') : null;
      const row = at ? good[Number(at[1])] : undefined;
      if (!row || refused >= MAX_REFUSED_ROWS) throw err;
      // The index is of the rows sent, not the file's: the row's line says where it is.
      bad.push({ line: row.line, message: (err as Error).message.replace(/^orders\[\d+\][.\w]*: /, '') });
      good = good.filter((r) => r !== row);
    }
  }
  if (bad.length === 0) return notice('error', 'The file holds no rows', 'Give it one row an order.');
  return h(
    'div',
    { class: 'stack' },
    notice('error', 'No row can be started', 'Fix the rows below and choose the file again.'),
    badRows(bad),
  );
}

function planView(report: BatchPlanReport, rows: Row[], bad: BadRow[], batchId?: string): HTMLElement {
  const { counts } = report;
  const start = h(
    'button',
    { type: 'button', class: 'button primary' },
    `Start ${plural(rows.length, 'order')}`,
  );
  start.addEventListener('click', () =>
    confirmAction({
      title: `Start this batch of ${plural(rows.length, 'order')}?`,
      body: [
        h('p', {}, `${plural(counts.new, 'new order')} will be charged, each once under its key.`),
        h(
          'p',
          {},
          `${plural(counts.alreadyDone, 'order')} already done and ${plural(counts.inFlight, 'order')} in flight are not charged again; `,
          `${plural(counts.conflict, 'conflict')} will be refused`,
          bad.length > 0 ? `; ${plural(bad.length, 'bad row')} are left out.` : '.',
        ),
      ],
      confirmLabel: 'Start batch',
      onConfirm: async () => {
        const answer = await api.startBatch({ orders: rows.map(asOrder), ...(batchId ? { batchId } : {}) });
        location.hash = `#/batches/${encodeURIComponent(answer.body.batchId ?? '')}`;
      },
    }),
  );
  const conflicts = report.orders.filter((o) => o.status === 'conflict');
  return h(
    'div',
    { class: 'stack' },
    h('h3', {}, 'Plan'),
    stats([
      ['New', counts.new.toLocaleString('en'), 'new'],
      ['Already done', counts.alreadyDone.toLocaleString('en'), 'already'],
      ['In flight', counts.inFlight.toLocaleString('en'), 'running'],
      ['Conflicts', counts.conflict.toLocaleString('en'), 'conflict'],
      ['Bad rows', bad.length.toLocaleString('en'), 'failed'],
    ]),
    conflicts.length > 0
      ? table(
          [
            { title: 'Conflict', cell: (o) => o.orderId, className: 'key' },
            { title: 'Why', cell: (o) => o.message ?? '' },
          ],
          conflicts,
        )
      : null,
    bad.length > 0 ? badRows(bad) : null,
    h('div', { class: 'filter-actions' }, start),
  );
}

function badRows(bad: BadRow[]): HTMLElement {
  return table(
    [
      { title: 'Bad row', cell: (b) => `line ${b.line}`, className: 'nowrap' },
      { title: 'Why', cell: (b) => b.message },
    ],
    [...bad].sort((a, b) => a.line - b.line),
  );
}
