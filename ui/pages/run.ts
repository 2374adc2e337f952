// One run: its request, status, times, exit code and output; who retried it and why; the requests its key
// got; retry and cancel, each confirmed first.
import { api } from '../api.js';
import { badge, card, empty, failure, field, mono, notice, pageHeader, table } from '../components.js';
import { confirmAction } from '../dialogs.js';
import { external, h, route, type Child } from '../dom.js';
import { between, duration, plural, statusLabel, time } from '../format.js';
import { poll, type Page, type PageContext } from '../page.js';
import { may } from '../scopes.js';
import type { JournalEntry, RunJournal, RunDetail, RunResult } from '../types.js';

const RETRYABLE = ['failed', 'timed_out', 'cancelled', 'terminated', 'outcome_unknown'];
/** `superscript exec` runs run where exec runs; the API refuses to retry them. */
const EXEC_SCRIPT = 'exec';

export const runPage: Page = async (root, ctx) => {
  const workflowId = ctx.id!;
  let polling = false;
  // Renders the run; while it runs (also after a retry from this page), keeps it fresh every second.
  const load = async (): Promise<boolean> => {
    const [run, requests] = await Promise.all([
      api.read(workflowId),
      api.requests(workflowId).catch((err: unknown) => err),
    ]);
    if (!ctx.signal.aborted) root.replaceChildren(...runView(run, requests, ctx, load));
    const running = run.status === 'running';
    if (running && !polling) {
      polling = true;
      poll(1000, ctx.signal, async () => (polling = await load()));
    }
    return running;
  };
  await load();
};

function runView(
  run: RunDetail,
  requests: RunJournal | unknown,
  ctx: PageContext,
  reload: () => Promise<boolean>,
): Node[] {
  const script = run.request?.script;
  const result = run.result as RunResult | undefined;
  const actions: Child[] = [];
  if (run.status === 'outcome_unknown' && run.verifiable && may(ctx.caller, 'retry', script)) {
    actions.push(
      h('button', { type: 'button', class: 'button primary', onclick: () => verify(run, reload) }, 'Verify…'),
    );
  }
  if (RETRYABLE.includes(run.status) && script !== EXEC_SCRIPT && may(ctx.caller, 'retry', script)) {
    actions.push(
      h(
        'button',
        {
          type: 'button',
          class: `button ${run.verifiable ? '' : 'primary'}`,
          onclick: () => retry(run, reload),
        },
        'Retry…',
      ),
    );
  }
  if (run.status === 'running' && may(ctx.caller, 'cancel', script)) {
    actions.push(
      h('button', { type: 'button', class: 'button danger', onclick: () => cancel(run, reload) }, 'Cancel…'),
    );
  }
  if (run.temporalUrl) actions.push(external(run.temporalUrl, 'Open in Temporal UI'));

  return [
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      route('/runs', 'Runs'),
      h('span', {}, '/'),
      h('span', {}, run.workflowId),
    ),
    pageHeader(
      [h('span', { class: 'title-key' }, run.workflowId), badge(run.status)],
      script && `Script ${script}`,
      actions,
    ),
    ...statusNotices(run),
    run.foreign || run.origin === 'temporal'
      ? notice(
          'warning',
          'Started or changed outside SuperScript',
          run.foreign
            ? "Temporal holds data for this run that SuperScript did not write. What SuperScript could not read is not shown; the key's request and outcome are the key store's."
            : "A Temporal client started this run by its type name, not SuperScript's API, CLI or exec. The key stands for the request its worker checked, and ran once.",
        )
      : null,
    startedNotice(run, result),
    card('Details', [details(run, result)]),
    // A resolve run ran the verify command, not the script: its output is verify's.
    result
      ? output(run.resolveOf ? 'Verify output' : 'Standard output', result.stdout, result.stdoutTruncated)
      : null,
    result
      ? output(run.resolveOf ? 'Verify errors' : 'Standard error', result.stderr, result.stderrTruncated)
      : null,
    requestsCard(requests),
  ].filter((n): n is HTMLElement => n !== null);
}

function statusNotices(run: RunDetail): HTMLElement[] {
  if (run.status === 'outcome_unknown') {
    const why = run.resolveOf
      ? `${run.message ?? 'Verify could not tell whether the work was done.'} `
      : 'Its worker stopped while the script ran. The script may have done all, part or none of its work, and SuperScript will not run it again by itself. ';
    const next = run.verifiable
      ? "Verify asks the script's own verify command whether the work was done. Or check by hand (for a payment: whether the provider charged the order), then retry only if it was not done, or leave the run as it is."
      : 'Check what the script does (for a payment: whether the provider charged the order). Retry only if it did not do its work; otherwise leave the run as it is.';
    return [notice('warning', 'Needs a decision: the outcome of this run is unknown', why, next)];
  }
  if (run.message && run.status !== 'succeeded' && run.status !== 'running') {
    const tone = run.status === 'cancelled' || run.status === 'terminated' ? 'info' : 'error';
    return [notice(tone, statusLabel(run.status), run.message)];
  }
  return [];
}

const ANSWERS = { done: 'done', not_done: 'not done', unknown: 'cannot tell' } as const;

/** How this run came to be: an explicit retry (who and why), or a resolve that ran only verify. */
function startedNotice(run: RunDetail, result: RunResult | undefined): HTMLElement | null {
  if (run.retryOf) {
    const r = run.retryOf;
    return notice(
      'info',
      'Started by an explicit retry',
      'Retry of run ',
      mono(r.runId),
      ` by ${r.by}`,
      r.reason ? [': ', h('q', {}, r.reason)] : '.',
    );
  }
  if (run.resolveOf) {
    const answer = result?.verified?.answer;
    return notice(
      'info',
      'Started by a resolve: the verify command ran, not the script',
      'Verifies run ',
      mono(run.resolveOf.runId),
      ` for ${run.resolveOf.by}`,
      answer ? `; verify answered: ${ANSWERS[answer]}.` : '.',
    );
  }
  return null;
}

function details(run: RunDetail, result: RunResult | undefined): HTMLElement {
  const args = run.request?.args ?? {};
  return h(
    'dl',
    { class: 'details' },
    field('Key', mono(run.workflowId)),
    field('Run ID', mono(run.runId)),
    field('Script', run.request?.script),
    field(
      'Arguments',
      Object.keys(args).length === 0
        ? 'none'
        : h(
            'ul',
            { class: 'args' },
            Object.entries(args).map(([k, v]) =>
              h(
                'li',
                {},
                h('span', { class: 'arg-name' }, k),
                mono(typeof v === 'string' ? v : JSON.stringify(v)),
              ),
            ),
          ),
    ),
    field('Started', time(result?.startedAt ?? run.startedAt)),
    field('Ended', run.status === 'running' ? 'still running' : time(result?.endedAt ?? run.closedAt)),
    field('Duration', duration(result?.durationMs ?? between(run.startedAt, run.closedAt))),
    field(
      run.resolveOf ? 'Verify exit code' : 'Exit code',
      result ? (result.exitCode ?? (result.signal ? `killed by ${result.signal}` : '—')) : '—',
    ),
    field('Attempt', result ? String(result.attempt) : '—'),
    field(
      'Dedup window',
      `the key store remembers the key ${
        run.dedupWindowDays === null
          ? 'until it is pruned'
          : `${plural(run.dedupWindowDays, 'day')} after the run ends`
      }; ${
        run.onlyInKeyStore
          ? "Temporal no longer has this run's history"
          : `Temporal keeps the run's history ${plural(run.historyDays, 'day')}`
      }`,
    ),
  );
}

function output(title: string, text: string, truncated: boolean): HTMLElement {
  return card(
    title,
    [
      text ? h('pre', { class: 'output' }, text) : empty('Nothing was printed.'),
      truncated
        ? h('p', { class: 'muted' }, 'Truncated: only the first part was kept (maxOutputBytes).')
        : null,
    ],
    text ? h('span', { class: 'muted' }, plural(text.split('\n').filter(Boolean).length, 'line')) : undefined,
  );
}

const ACTIONS: Record<JournalEntry['action'], string> = {
  request: 'Start',
  retry: 'Retry',
  resolve: 'Resolve',
};

const DISPOSITION: Record<JournalEntry['disposition'], string> = {
  executed: 'Executed',
  attached: 'Attached',
  replayed: 'Replayed',
  conflict: 'Conflict, refused',
};

function requestsCard(answer: RunJournal | unknown): HTMLElement {
  if (answer instanceof Error) return card('Requests for this key', [failure(answer)]);
  const { entries, since, dropped } = answer as RunJournal;
  const rows = [...entries].reverse();
  return card('Requests for this key', [
    rows.length === 0
      ? empty('This API process has answered no requests for this key.')
      : table(
          [
            { title: 'Time', cell: (e) => time(e.at), className: 'nowrap' },
            {
              title: 'Request',
              cell: (e) => ACTIONS[e.action],
              className: 'nowrap',
            },
            { title: 'Answer', cell: (e) => badge(`journal-${e.disposition}`, DISPOSITION[e.disposition]) },
            {
              title: 'Run or reason',
              cell: (e) => (e.runId ? mono(e.runId) : h('span', { class: 'muted' }, e.message ?? '—')),
              wide: true,
            },
            { title: 'Token', cell: (e) => e.token ?? '—', wide: true },
          ],
          rows,
        ),
    h(
      'p',
      { class: 'muted footnote' },
      `As answered by this API process since ${time(since)}; requests to other API processes, or before then, are not shown.`,
      dropped > 0 ? ` ${plural(dropped, 'older request')} not kept.` : '',
    ),
  ]);
}

function retry(run: RunDetail, reload: () => Promise<boolean>): void {
  const unknown = run.status === 'outcome_unknown';
  confirmAction({
    title: `Retry ${run.workflowId}?`,
    tone: unknown ? 'danger' : 'primary',
    confirmLabel: unknown ? 'Run it again' : 'Retry',
    body: unknown
      ? unknownRetryRisk(run)
      : [
          h(
            'p',
            {},
            `A retry runs the script again under the same key. This run ${statusLabel(run.status).toLowerCase()}; a script that stopped partway may have done part of its work.`,
          ),
        ],
    acknowledge: unknown ? 'I have checked that the script did not do its work' : undefined,
    reasonLabel: 'Reason (recorded with the retry)',
    onConfirm: async (reason) => {
      try {
        // Naming this run: if someone retried it meanwhile, the API refuses instead of retrying twice.
        await api.retry(run.workflowId, { runId: run.runId, ...(reason ? { reason } : {}) }, { wait: '0' });
      } finally {
        // Also after a refusal: verify may have found the work done, and the key now says so.
        await reload();
      }
    },
  });
}

/** What retrying a run with an unknown outcome risks, and what verify (if its script has one) changes. */
function unknownRetryRisk(run: RunDetail): HTMLElement[] {
  const risk = h(
    'p',
    {},
    h('strong', {}, 'The script may already have done its work.'),
    ' This run stopped midway with its outcome unknown.',
  );
  if (!run.verifiable) {
    return [
      risk,
      h(
        'p',
        {},
        'A retry runs the script a second time under the same key. If the first run had done its work (for a payment: charged the order), it is done twice.',
      ),
    ];
  }
  return [
    risk,
    h(
      'p',
      {},
      "The retry first runs the script's verify command. If verify finds the work done, the retry is refused and nothing runs. If verify cannot tell, the script runs a second time under the same key, and work it had done is done twice.",
    ),
  ];
}

function verify(run: RunDetail, reload: () => Promise<boolean>): void {
  confirmAction({
    title: `Verify ${run.workflowId}?`,
    confirmLabel: 'Run verify',
    body: [
      h(
        'p',
        {},
        "Runs the script's verify command, which only reads, to ask whether this run did its work. The script itself does not run.",
      ),
      h(
        'ul',
        {},
        h(
          'li',
          {},
          h('strong', {}, 'Done:'),
          ' the key answers succeeded from then on and is never run again.',
        ),
        h(
          'li',
          {},
          h('strong', {}, 'Not done:'),
          ' the run counts as failed, and a retry may run the script.',
        ),
        h('li', {}, h('strong', {}, 'Cannot tell:'), ' the outcome stays unknown.'),
      ),
    ],
    onConfirm: async () => {
      await api.resolve(run.workflowId, { wait: '0' });
      await reload();
    },
  });
}

function cancel(run: RunDetail, reload: () => Promise<boolean>): void {
  confirmAction({
    title: `Cancel ${run.workflowId}?`,
    tone: 'danger',
    confirmLabel: 'Cancel the run',
    body: [
      h(
        'p',
        {},
        "The script's process group gets SIGTERM, then SIGKILL after its grace period. The run ends cancelled.",
      ),
      h('p', {}, 'A script ended midway may have done part of its work.'),
    ],
    onConfirm: async () => {
      await api.cancel(run.workflowId);
      await reload();
    },
  });
}
