// Batch commands: start (or attach to) a batch from a file and follow it to its end, plan one, follow one,
// page through its orders, cancel it. Clients of the HTTP API like the run commands: nothing here reaches
// Temporal, and the token's scopes hold.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError } from '../../errors.js';
import { RunService } from '../../runs/service.js';
import { canonicalJson } from '../../shared/runs.js';
import type { ApiClient } from '../../shared/api-client.js';
import { apiClient } from '../api-client.js';
import { readBatchFile } from '../batch-file.js';
import { counts, progressOutput } from '../batch-progress.js';
import type { Context } from '../context.js';
import { EXIT, exitCodeForBatch } from '../exit-codes.js';
import { forTerminal, terminalSafeJson } from '../terminal.js';
import type {
  BatchOrderView,
  BatchRequest,
  BatchView,
  PlannedOrder,
  PlannedStatus,
} from '../../shared/schemas/batches.js';
import type { ScriptArgs } from '../../shared/schemas/runs.js';

export interface BatchOptions {
  /** The registered script every row runs. Default: the payment script. */
  script?: string;
  batchId?: string;
  maxConcurrent?: number;
  wait?: number;
  plan?: boolean;
  attach?: string;
  json?: boolean;
}

/** How often a batch's progress is read while the CLI follows it. */
const POLL_MS = 500;

export async function batch(ctx: Context, file: string | undefined, o: BatchOptions): Promise<number> {
  const api = apiClient(ctx.settings);
  if (o.attach !== undefined) {
    if (file !== undefined || o.plan)
      throw new InvalidRequestError(
        '--attach follows a batch that exists: give it no FILE and no --plan.',
        'attach',
      );
    return finish(await follow(api, o.attach, o.wait), { executed: false, replayed: false }, o);
  }
  if (file === undefined)
    throw new InvalidRequestError(
      'Give the file of rows (CSV, JSON lines or a JSON array), or --attach BATCH_ID.',
      'file',
    );
  // Read and checked whole before the API is asked for anything.
  const payments = RunService.paymentScript(ctx.registry).name;
  const script = o.script ?? payments;
  const rows = readBatchFile(file, ctx.registry.get(script), (row) =>
    RunService.rowKey(ctx.registry, script, row),
  );
  // Payment orders as `orders` (the API's first shape, and the batch ID it always had); other rows as `rows`.
  const entries: BatchEntries =
    script === payments && rows.every((r) => r.key === undefined)
      ? { orders: rows.map(({ args }) => ({ orderId: String(args.orderId), amount: Number(args.amount) })) }
      : { script, rows };
  if (o.plan) return plan(api, entries, o);
  const batchId = o.batchId ?? defaultBatchId(entries);
  const body = {
    batchId,
    ...entries,
    ...(o.maxConcurrent === undefined ? {} : { maxConcurrent: o.maxConcurrent }),
  };
  const started = await api.startBatch(body);
  const { executed, replayed } = started.body;
  return finish(await follow(api, batchId, o.wait), { executed, replayed }, o);
}

/** What a batch request carries: payment orders, or a script's rows. */
type BatchEntries = Required<Pick<BatchRequest, 'orders'>> | Required<Pick<BatchRequest, 'script' | 'rows'>>;

/**
 * The same orders (or rows of the same script) make the same batch ID, so running a file again attaches to
 * its batch (or replays its end) instead of starting another.
 */
function defaultBatchId(entries: BatchEntries): string {
  const [prefix, what] = 'orders' in entries ? ['orders', entries.orders] : [entries.script, entries];
  return `${prefix}-${createHash('sha256').update(canonicalJson(what)).digest('hex').slice(0, 32)}`;
}

/** Reads the batch until it ends (or `waitSeconds` run out), showing each change of its progress. */
async function follow(api: ApiClient, batchId: string, waitSeconds?: number): Promise<BatchView> {
  const deadline = waitSeconds === undefined ? Infinity : Date.now() + waitSeconds * 1000;
  const output = progressOutput(process.stderr);
  let shown = '';
  for (;;) {
    const view = await api.readBatch(batchId);
    const now = JSON.stringify([view.status, view.progress]);
    if (now !== shown) output.show(view);
    shown = now;
    if (view.status !== 'running' || Date.now() >= deadline) {
      output.end();
      return view;
    }
    await sleep(Math.min(POLL_MS, deadline - Date.now()));
  }
}

function finish(view: BatchView, how: { executed: boolean; replayed: boolean }, o: BatchOptions): number {
  const code = exitCodeForBatch(view);
  if (o.json) {
    process.stdout.write(`${terminalSafeJson({ ...view, ...how })}\n`);
    return code;
  }
  const by = how.executed
    ? ' (started by this command)'
    : how.replayed
      ? ' (already ended: its result replayed, nothing ran)'
      : '';
  const lines = [`batch ${view.batchId}  ${view.status}${by}`];
  if (view.progress) lines.push(`  ${view.progress.total} orders: ${counts(view.progress)}`);
  if (view.message) lines.push(`  ${view.message}`);
  if (code === EXIT.stillRunning)
    lines.push(`  still running; follow it with \`superscript batch --attach ${view.batchId}\``);
  else if (code !== EXIT.ok)
    lines.push(
      `  the orders that did not succeed: \`superscript batch-orders ${view.batchId} --status STATUS\``,
    );
  process.stdout.write(forTerminal(process.stdout, `${lines.join('\n')}\n`));
  return code;
}

const PLANNED: Record<PlannedStatus, string> = {
  new: 'new (would be charged)',
  already_done: 'already done (would not run again)',
  in_flight: 'in flight (the batch would attach to the run)',
  conflict: 'conflict (the key holds another amount: would not run)',
};

/** A script's rows run rather than charge, and their keys hold other arguments rather than amounts. */
const PLANNED_ROWS: Record<PlannedStatus, string> = {
  ...PLANNED,
  new: 'new (would run)',
  conflict: 'conflict (the key holds another request: would not run)',
};

/**
 * What the batch would do; exits 125 if the batch would be refused for a bad row, 120 if some key holds
 * another request, else 0.
 */
async function plan(api: ApiClient, entries: BatchEntries, o: BatchOptions): Promise<number> {
  const report = await api.planBatch(entries);
  const code = report.bad.length > 0 ? EXIT.error : report.counts.conflict > 0 ? EXIT.keyConflict : EXIT.ok;
  if (o.json) {
    process.stdout.write(`${terminalSafeJson(report)}\n`);
    return code;
  }
  const c = report.counts;
  const lines = [
    `plan for ${report.total} ${'orders' in entries ? 'orders' : 'rows'} (nothing was started): new ${c.new}, already done ${c.alreadyDone}, in flight ${c.inFlight}, conflict ${c.conflict}${c.bad > 0 ? `, bad ${c.bad}` : ''}`,
  ];
  const labels = 'orders' in entries ? PLANNED : PLANNED_ROWS;
  for (const status of Object.keys(labels) as PlannedStatus[]) {
    const these = report.orders.filter((order) => order.status === status);
    if (these.length === 0) continue;
    lines.push(`${labels[status]}:`);
    for (const order of these)
      lines.push(
        `  ${entryText(order)}${order.outcome ? `  ${order.outcome}` : ''}${order.message ? `  ${order.message}` : ''}`,
      );
  }
  if (report.bad.length > 0) lines.push('bad (the batch would be refused for it):');
  for (const bad of report.bad) lines.push(`  ${bad.message}`);
  process.stdout.write(forTerminal(process.stdout, `${lines.join('\n')}\n`));
  return code;
}

/** Every order of a batch, page after page, one line each (a JSON line each with --json). */
export async function batchOrders(
  ctx: Context,
  batchId: string,
  o: { status?: string; json?: boolean },
): Promise<number> {
  const api = apiClient(ctx.settings);
  let cursor: string | undefined;
  do {
    const page = await api.batchOrders(batchId, { limit: 1000, status: o.status || undefined, cursor });
    process.stdout.write(page.orders.map((order) => orderLine(order, Boolean(o.json))).join(''));
    cursor = page.nextCursor;
  } while (cursor);
  return EXIT.ok;
}

function orderLine(order: BatchOrderView, json: boolean): string {
  if (json) return `${terminalSafeJson(order, 0)}\n`;
  const message = order.message ? `  ${order.message}` : '';
  // An order's line as it always was; a script's row is named by its key, its arguments after.
  const line =
    order.orderId !== undefined
      ? `${order.orderId}  ${order.status.padEnd(12)} ${order.amount}  ${order.workflowId}`
      : `${order.workflowId}  ${order.status.padEnd(12)} ${argsText(order.args)}`;
  return forTerminal(process.stdout, `${line}${message}\n`);
}

/** A planned order as `A1  12.5`, a planned row as `<key>  name=value ...`. */
function entryText(entry: PlannedOrder): string {
  return entry.orderId !== undefined
    ? `${entry.orderId}  ${entry.amount}`
    : `${entry.workflowId}  ${argsText(entry.args)}`;
}

/** `tag=a seconds=1`: a row's arguments on one line. */
function argsText(args: ScriptArgs | undefined): string {
  return Object.entries(args ?? {})
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
}

export async function batchCancel(
  ctx: Context,
  batchId: string,
  o: { killRunning?: boolean },
): Promise<number> {
  await apiClient(ctx.settings).cancelBatch(batchId, { killRunning: Boolean(o.killRunning) });
  process.stdout.write(
    `cancellation requested for batch ${batchId}: it starts no more orders; ${o.killRunning ? 'the runs it started that still run are cancelled' : 'the orders in flight finish'}\n`,
  );
  return EXIT.ok;
}
