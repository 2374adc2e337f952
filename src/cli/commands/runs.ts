// Commands for a person at a terminal: pay, run, status, runs, retry, resolve, cancel. They use the same
// start-or-attach module as the API, straight against Temporal.
import { argsFromStrings } from '../../config/scripts.js';
import { InvalidRequestError } from '../../errors.js';
import { runsQuery, type RunFilters } from '../../runs/list-query.js';
import { retentionDays } from '../../runs/retention.js';
import { paymentSpec, scriptRunSpec } from '../../runs/requests.js';
import { resolveRun } from '../../runs/resolve.js';
import { retryRun } from '../../runs/retry.js';
import { PAYMENT_SCRIPT } from '../../workflows/contract.js';
import type { StartOrAttach } from '../../runs/start-or-attach.js';
import { connectRuns, type Context } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { printRun } from '../print.js';

export interface OutputOptions {
  json?: boolean;
  wait?: number;
}

export async function pay(ctx: Context, orderId: string, amount: string, o: OutputOptions): Promise<number> {
  // Parsed like any script argument, so `pay X ten` is told what the amount must be.
  const args = argsFromStrings(ctx.registry.get(PAYMENT_SCRIPT), { orderId, amount });
  const spec = paymentSpec(ctx.registry, ctx.settings.taskQueue, {
    orderId: args.orderId,
    amount: args.amount,
  });
  return finish(await (await connectRuns(ctx.settings.taskQueue)).runs.startOrAttach(spec, waitMs(o)), o);
}

export async function run(
  ctx: Context,
  script: string,
  argPairs: string[],
  o: OutputOptions & { key?: string },
): Promise<number> {
  const values: Record<string, string> = {};
  for (const pair of argPairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new InvalidRequestError(`Arguments are name=value; got "${pair}".`, 'args');
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const spec = scriptRunSpec(ctx.registry, ctx.settings.taskQueue, {
    script,
    args: argsFromStrings(ctx.registry.get(script), values),
    key: o.key,
  });
  return finish(await (await connectRuns(ctx.settings.taskQueue)).runs.startOrAttach(spec, waitMs(o)), o);
}

export async function status(ctx: Context, workflowId: string, o: OutputOptions): Promise<number> {
  const { runs } = await connectRuns(ctx.settings.taskQueue);
  const [view, days] = await Promise.all([runs.read(workflowId), retentionDays(runs.client)]);
  printRun({ run: view }, Boolean(o.json));
  if (!o.json)
    process.stdout.write(`  dedup window: this key is remembered for ${days} days after the run closes\n`);
  return exitCodeFor(view);
}

export async function list(ctx: Context, filters: RunFilters, o: OutputOptions): Promise<number> {
  const { runs } = await connectRuns(ctx.settings.taskQueue);
  const views = await runs.list(runsQuery(filters, ctx.settings.taskQueue));
  if (o.json) process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
  else
    for (const v of views)
      process.stdout.write(
        `${v.startedAt}  ${v.status.padEnd(15)} ${v.request?.script ?? '-'}  ${v.workflowId}\n`,
      );
  return 0;
}

export async function retry(
  ctx: Context,
  workflowId: string,
  o: OutputOptions & { reason?: string; by?: string },
): Promise<number> {
  const { runs } = await connectRuns(ctx.settings.taskQueue);
  const who = { by: requester(o), reason: o.reason };
  const outcome = await retryRun(runs, ctx.registry, workflowId, who, waitMs(o));
  return finish(outcome, o);
}

export async function resolve(
  ctx: Context,
  workflowId: string,
  o: OutputOptions & { by?: string },
): Promise<number> {
  const { runs } = await connectRuns(ctx.settings.taskQueue);
  const outcome = await resolveRun(runs, ctx.registry, workflowId, requester(o), waitMs(o));
  return finish(outcome, o);
}

export async function cancel(ctx: Context, workflowId: string): Promise<number> {
  const { runs } = await connectRuns(ctx.settings.taskQueue);
  await runs.cancel(workflowId);
  process.stdout.write(
    `cancellation requested for ${workflowId}; its script's process group is being ended\n`,
  );
  return 0;
}

function finish(outcome: StartOrAttach, o: OutputOptions): number {
  printRun(outcome, Boolean(o.json));
  return exitCodeFor(outcome.run);
}

/** Who asked for a retry or resolve, as recorded in the new run's input. */
function requester(o: { by?: string }): string {
  return o.by ?? `cli ${process.env.USER ?? 'unknown'}`;
}

function waitMs(o: OutputOptions): number {
  return o.wait === undefined ? Infinity : o.wait * 1000;
}
