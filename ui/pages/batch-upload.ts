// A batch from a file: a CSV or JSON-lines file read in the browser into rows of a registered script's
// arguments (a payment file as orders), planned (POST /v1/batches/plan: what is new, already done, in flight or
// a conflict, and every bad row), and started with the plan's good rows (POST /v1/batches) only once the
// operator confirms.
import { PAYMENT_SCRIPT } from '../../src/shared/ids.js';
import { api } from '../api.js';
import { card, failure, notice, stats, table } from '../components.js';
import { confirmAction } from '../dialogs.js';
import { h } from '../dom.js';
import { plural } from '../format.js';
import { readRows, type BadRow, type Row } from '../rows.js';
import type { BatchPlanReport, BatchRequest, ScriptView } from '../types.js';

export function batchUpload(scripts: ScriptView[]): HTMLElement {
  const select = h(
    'select',
    { name: 'batchScript' },
    scripts.map((s) => h('option', { value: s.name }, s.name)),
  );
  const file = h('input', {
    type: 'file',
    name: 'file',
    accept: '.csv,.jsonl,.ndjson,text/csv,application/x-ndjson',
  });
  const batchId = h('input', { type: 'text', name: 'batchId', maxlength: 100, autocomplete: 'off' });
  const about = h('p', { class: 'muted' });
  const plan = h('div', { class: 'stack', 'aria-live': 'polite' });
  const chosen = () => scripts.find((s) => s.name === select.value) ?? scripts[0]!;
  // Each change plans again; only the latest plan is shown, so a late answer cannot stand for another choice.
  let latest = 0;
  const read = async () => {
    const asked = ++latest;
    const script = chosen();
    const columns = [...script.args.map((a) => a.name), ...(script.key === undefined ? ['key'] : [])].join(
      ', ',
    );
    about.replaceChildren(
      `A CSV file with the header row ${columns}, or JSON lines, one {${columns}} object a line. `,
      'Nothing starts until you have seen its plan and confirmed.',
    );
    const given = file.files?.[0];
    if (!given) return plan.replaceChildren();
    plan.replaceChildren(h('p', { class: 'loading' }, `Planning ${given.name}…`));
    const id = batchId.value.trim() || undefined;
    const view = await given
      .text()
      .then((text) => {
        const { rows, bad } = readRows(given.name, text, script.args);
        return planned(script.name, rows, bad, id);
      })
      .catch(failure);
    if (asked === latest) plan.replaceChildren(view);
  };
  for (const input of [select, file, batchId]) input.addEventListener('change', () => void read());
  void read();
  return card('Start a batch from a file', [
    h(
      'div',
      { class: 'form-fields' },
      h('label', { class: 'field' }, h('span', {}, 'Script'), select),
      h('label', { class: 'field' }, h('span', {}, 'Batch file'), file),
      h(
        'label',
        { class: 'field' },
        h('span', {}, 'Batch ID'),
        batchId,
        h('small', { class: 'muted' }, 'optional; made up when left empty'),
      ),
    ),
    about,
    plan,
  ]);
}

/** The batch of these rows: a payment file without keys as orders (as the CLI sends it), else as rows. */
function batchOf(script: string, rows: Row[], batchId: string | undefined): BatchRequest {
  const id = batchId ? { batchId } : {};
  if (script === PAYMENT_SCRIPT && rows.every((r) => r.key === undefined))
    return {
      ...id,
      orders: rows.map((r) => ({ orderId: String(r.values.orderId), amount: Number(r.values.amount) })),
    };
  return { ...id, script, rows: rows.map((r) => ({ args: r.values, ...(r.key ? { key: r.key } : {}) })) };
}

/** The plan of the file's rows: the API lists each it would refuse, by its place in what was sent. */
async function planned(
  script: string,
  rows: Row[],
  bad: BadRow[],
  batchId: string | undefined,
): Promise<HTMLElement> {
  if (rows.length === 0) {
    if (bad.length === 0) return notice('error', 'The file holds no rows', 'Give it one row a run.');
    return h(
      'div',
      { class: 'stack' },
      notice('error', 'No row can be started', 'Fix the rows below and choose the file again.'),
      badRows(bad),
    );
  }
  const report = await api.planBatch(batchOf(script, rows, batchId));
  const refused = new Set(report.bad.map((b) => b.index));
  // The API names a row by its place in what was sent (`rows[3]: ...`); the file's line says where it is.
  const allBad = [
    ...bad,
    ...report.bad.map((b) => ({
      line: rows[b.index]!.line,
      message: b.message.replace(/^\w+\[\d+\]: /, ''),
    })),
  ];
  const good = rows.filter((_, i) => !refused.has(i));
  if (good.length === 0) return planned(script, [], allBad, batchId);
  return planView(report, batchOf(script, good, batchId), good.length, allBad);
}

function planView(report: BatchPlanReport, batch: BatchRequest, size: number, bad: BadRow[]): HTMLElement {
  const { counts } = report;
  const start = h('button', { type: 'button', class: 'button primary' }, `Start ${plural(size, 'row')}`);
  start.addEventListener('click', () =>
    confirmAction({
      title: `Start this batch of ${plural(size, 'row')}?`,
      body: [
        h(
          'p',
          {},
          `${plural(counts.new, 'new row')} of ${batch.script ?? PAYMENT_SCRIPT} will run, each once under its key`,
          batch.batchId ? `, as batch ${batch.batchId}.` : '.',
        ),
        h(
          'p',
          {},
          `${plural(counts.alreadyDone, 'row')} already done and ${plural(counts.inFlight, 'row')} in flight do not run again; `,
          `${plural(counts.conflict, 'conflict')} will be refused`,
          bad.length > 0 ? `; ${plural(bad.length, 'bad row')} are left out.` : '.',
        ),
      ],
      confirmLabel: 'Start batch',
      onConfirm: async () => {
        const answer = await api.startBatch(batch);
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
            { title: 'Conflict', cell: (o) => o.orderId ?? o.workflowId, className: 'key' },
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
