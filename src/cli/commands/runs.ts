// Commands for a person at a terminal: pay, run, status, runs, retry, resolve, cancel. They are clients of the HTTP
// API (SUPERSCRIPT_API_URL, with the token in SUPERSCRIPT_TOKEN), so they start runs through its one
// start-or-attach path and are held to the token's scopes like any caller.
import { setTimeout as sleep } from 'node:timers/promises';
import { argsFromStrings } from '../../config/scripts.js';
import { InvalidRequestError } from '../../errors.js';
import { RunService } from '../../runs/service.js';
import type { StartOrAttach } from '../../runs/view.js';
import type { ApiAnswer, ApiClient } from '../../shared/api-client.js';
import { apiClient } from '../api-client.js';
import type { Context } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { printRun } from '../print.js';
import { terminalSafeJson } from '../terminal.js';
import type { OrderRequest } from '../../shared/schemas/batches.js';
import type { ScriptArgs } from '../../shared/schemas/runs.js';
import type { RunAnswer, RunDetail, RunView } from '../../shared/schemas/views.js';

export interface OutputOptions {
  json?: boolean;
  wait?: number;
}

/** A run as the API answers it: to the request that started it (RunAnswer), or read (RunDetail). */
type RunBody = RunView &
  Partial<Pick<RunAnswer, 'executed' | 'replayed'> & Pick<RunDetail, 'dedupWindowDays' | 'historyDays'>>;

// One request waits at most this long: fetch gives up on an answer after 300 s. Longer waits poll.
const REQUEST_WAIT_MS = 240_000;
const POLL_MS = 1000;

export async function pay(ctx: Context, orderId: string, amount: string, o: OutputOptions): Promise<number> {
  // Parsed like any script argument, so `pay X ten` is told what the amount must be.
  const args = argsFromStrings(RunService.paymentScript(ctx.registry), { orderId, amount });
  const api = apiClient(ctx.settings);
  // Typed by the payment script; the API checks the order again.
  const order = args as OrderRequest;
  return finish(await startAndWait(api, (wait) => api.pay(order, { wait }), o), o);
}

export async function run(
  ctx: Context,
  script: string,
  argPairs: string[],
  o: OutputOptions & { key?: string },
): Promise<number> {
  const args = scriptArgs(ctx, script, argPairs);
  const body = { script, args, ...(o.key === undefined ? {} : { key: o.key }) };
  const api = apiClient(ctx.settings);
  return finish(await startAndWait(api, (wait) => api.run(body, { wait }), o), o);
}

/** `name=value` pairs typed by the registry, so `code=4` is sent as the number 4. */
export function scriptArgs(ctx: Context, script: string, argPairs: string[]): ScriptArgs {
  const values: Record<string, string> = {};
  for (const pair of argPairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new InvalidRequestError(`Arguments are name=value; got "${pair}".`, 'args');
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return argsFromStrings(ctx.registry.get(script), values);
}

export async function status(ctx: Context, workflowId: string, o: OutputOptions): Promise<number> {
  const { dedupWindowDays, historyDays, ...view } = await apiClient(ctx.settings).read(workflowId);
  printRun({ run: view }, Boolean(o.json));
  if (!o.json) {
    const kept =
      dedupWindowDays === null || dedupWindowDays === undefined
        ? 'until removed with `superscript keys prune`'
        : `for ${dedupWindowDays} days after its run ends`;
    const history = view.onlyInKeyStore
      ? "Temporal no longer has this run's history"
      : `Temporal keeps the run's history ${historyDays} days`;
    process.stdout.write(`  dedup window: the key store remembers this key ${kept}; ${history}\n`);
  }
  return exitCodeFor(view);
}

/** `superscript runs`' filters, as typed: the API checks them (RunsQuery). */
type RunFilters = Partial<Record<'status' | 'script' | 'since' | 'until' | 'limit', string>>;

export async function list(ctx: Context, filters: RunFilters, o: OutputOptions): Promise<number> {
  // `filters` is commander's options object: only the filters go to the API.
  const { status, script, since, until, limit } = filters;
  const { runs: views } = await apiClient(ctx.settings).list({ status, script, since, until, limit });
  if (o.json) process.stdout.write(`${terminalSafeJson(views)}\n`);
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
  o: OutputOptions & { reason?: string },
): Promise<number> {
  // Who retried is recorded by the API: the token's name.
  const body = o.reason === undefined ? {} : { reason: o.reason };
  const api = apiClient(ctx.settings);
  return finish(await startAndWait(api, (wait) => api.retry(workflowId, body, { wait }), o), o);
}

/** Asks the run's verify command whether its unknown outcome did its work; exits as the recorded answer. */
export async function resolve(ctx: Context, workflowId: string, o: OutputOptions): Promise<number> {
  const api = apiClient(ctx.settings);
  return finish(await startAndWait(api, (wait) => api.resolve(workflowId, { wait }), o), o);
}

export async function cancel(ctx: Context, workflowId: string): Promise<number> {
  await apiClient(ctx.settings).cancel(workflowId);
  process.stdout.write(
    `cancellation requested for ${workflowId}; its script's process group is being ended\n`,
  );
  return 0;
}

/**
 * Sends a request that starts (or attaches to) a run and waits for its outcome, for `o.wait` seconds or
 * until it ends: first in the request itself (`?wait=`), then by reading the run's Location.
 */
async function startAndWait(
  api: ApiClient,
  start: (wait: string) => Promise<ApiAnswer<RunAnswer>>,
  o: OutputOptions,
): Promise<StartOrAttach> {
  const deadline = o.wait === undefined ? Infinity : Date.now() + o.wait * 1000;
  const waitMs = () => Math.max(0, Math.min(deadline - Date.now(), REQUEST_WAIT_MS));
  const started = await start(`${Math.ceil(waitMs())}ms`);
  const { executed, replayed } = started.body;
  let latest: RunBody = started.body;
  // Only a 202 (still running) has a Location.
  const location = started.headers.get('location');
  while (location && latest.status === 'running' && waitMs() > 0) {
    await sleep(Math.min(POLL_MS, waitMs()));
    latest = await api.read(location);
  }
  const { executed: _e, replayed: _r, dedupWindowDays: _d, historyDays: _h, ...run } = latest;
  return { executed, replayed, run };
}

function finish(outcome: StartOrAttach, o: OutputOptions): number {
  printRun(outcome, Boolean(o.json));
  return exitCodeFor(outcome.run);
}
