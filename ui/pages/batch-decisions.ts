// A batch's bulk decisions on its page: buttons to retry its failed orders, resolve its unknown ones and
// cancel the orders it has not started, each confirmed with how many orders it touches, and the progress
// of the decisions asked for.
import { api } from '../api.js';
import { card, field } from '../components.js';
import { confirmAction } from '../dialogs.js';
import { h, type Child } from '../dom.js';
import { plural, statusLabel } from '../format.js';
import type { PageContext } from '../page.js';
import { may } from '../scopes.js';
import type { BatchView, DecisionAction, DecisionView } from '../types.js';

/** The card of decisions, or null when the caller may take none and none was asked for. */
export function decisionsCard(
  b: BatchView,
  decisions: DecisionView[],
  ctx: PageContext,
  reload: () => Promise<boolean>,
): HTMLElement | null {
  const script = b.request?.script;
  const p = b.progress;
  const buttons: Child[] = [];
  const asked = (action: DecisionAction) => decisions.some((d) => d.action === action);
  if (b.status !== 'running' && p && may(ctx.caller, 'retry', script)) {
    if (p.failed > 0 && !asked('retry'))
      buttons.push(button('Retry failed…', () => decide(b.batchId, 'retry', retryBody(p.failed), reload)));
    if (p.unknown > 0 && !asked('resolve'))
      buttons.push(
        button('Resolve unknown…', () => decide(b.batchId, 'resolve', resolveBody(p.unknown), reload)),
      );
  }
  if (b.status === 'running' && p && may(ctx.caller, 'cancel', script))
    buttons.push(button('Cancel not started…', () => cancel(b.batchId, p.pending, reload), 'danger'));
  if (buttons.length === 0 && decisions.length === 0) return null;
  return card('Bulk decisions', [
    h('div', { class: 'actions' }, buttons),
    ...decisions.map((d) =>
      h(
        'dl',
        { class: 'details compact', 'data-decision': d.action },
        field(
          d.action === 'retry' ? 'Retry of failed orders' : 'Resolve of unknown orders',
          statusLabel(d.status),
        ),
        field('Asked by', d.by),
        field(
          'Progress',
          `${d.progress.done} of ${d.progress.eligible} done: succeeded ${d.progress.succeeded}, still failed ${d.progress.stillFailed}, still unknown ${d.progress.stillUnknown}, skipped ${d.progress.skipped}, could not act ${d.progress.failed}`,
        ),
        d.lastError ? field('Last error', d.lastError) : null,
      ),
    ),
  ]);
}

function button(label: string, onclick: () => void, tone = 'primary'): HTMLElement {
  return h('button', { type: 'button', class: `button ${tone}`, onclick }, label);
}

function retryBody(failed: number): Child[] {
  return [
    h(
      'p',
      {},
      `This retries ${plural(failed, 'failed order')} of the batch, each once, as a single retry would.`,
    ),
    h('p', {}, 'Orders whose outcome is unknown and conflicts are never retried in bulk.'),
  ];
}

function resolveBody(unknown: number): Child[] {
  return [
    h('p', {}, `This asks the verify command about ${plural(unknown, 'order')} whose outcome is unknown.`),
    h('p', {}, 'An order whose verify cannot tell stays unknown; nothing is run again.'),
  ];
}

function decide(
  batchId: string,
  action: DecisionAction,
  body: Child[],
  reload: () => Promise<boolean>,
): void {
  confirmAction({
    title:
      action === 'retry'
        ? `Retry the failed orders of ${batchId}?`
        : `Resolve the unknown orders of ${batchId}?`,
    body,
    confirmLabel: action === 'retry' ? 'Retry them' : 'Verify them',
    onConfirm: async () => {
      await api.decideBatch(batchId, action);
      await reload();
    },
  });
}

function cancel(batchId: string, pending: number, reload: () => Promise<boolean>): void {
  confirmAction({
    title: `Cancel batch ${batchId}?`,
    tone: 'danger',
    body: [
      h(
        'p',
        {},
        `${plural(pending, 'order')} of the batch have no outcome yet: it starts none that has not started, and those in flight finish.`,
      ),
    ],
    confirmLabel: 'Cancel them',
    onConfirm: async () => {
      await api.cancelBatch(batchId, { killRunning: false });
      await reload();
    },
  });
}
