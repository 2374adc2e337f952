// Scenarios 5 and 7: batches of many orders. SuperScript's batches go in through `POST /v1/batches` and are
// served by the product's own worker (`bin/superscript.js worker`, from the build, with its prebuilt
// workflow bundle) in a process of its own, whose peak RSS over its whole life is read from the kernel
// (VmHWM) and cross-checked by sampling VmRSS. Scenario 5 takes turns with baseline (a)'s hand-written
// fan-out (one child workflow per order, the same number in flight) on the same server.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { apiAccess } from '../../../src/api/access.js';
import type { ScriptRegistry } from '../../../src/config/scripts.js';
import { loadSettings } from '../../../src/config/settings.js';
import { awaitOutcome } from '../../../src/runs/outcome.js';
import { batchWorkflowId } from '../../../src/shared/ids.js';
import { embeddedKeyStoreUrl } from '../../../src/stack/key-store.js';
import { ProcessStack } from '../../../src/stack/processes.js';
import { startStack as startInProcess } from '../../../src/stack/stack.js';
import { externalTemporal } from '../../../src/stack/temporal.js';
import type { Cleanup } from '../../support/cleanup.js';
import { chargesWithPrefix } from '../../support/data-folder.js';
import type { BenchConfig } from '../config.js';
import { AGAINST, TARGETS, figure, roundsFigure, type Figure } from '../figures.js';
import { requestJson } from '../http-client.js';
import { orderPrefix } from '../paths.js';
import type { Stack } from '../stack.js';
import { timed } from '../stats.js';

const QUEUE = 'bench-batch';
const BATCH_WAIT_MS = 6 * 60 * 60_000;

export interface BatchContext {
  registry: ScriptRegistry;
  registryFile: string;
  dir: string;
  cleanup: Cleanup;
}

type Order = { orderId: string; amount: number };

// --- How a batch goes through the API. The one place to adapt when the batch API changes. ---

/** Submits a batch without waiting for it (202). */
async function submitBatch(api: string, batchId: string, orders: Order[], maxConcurrent: number) {
  const res = await requestJson<{ status?: string; message?: string }>('POST', `${api}/v1/batches?wait=0`, {
    batchId,
    orders,
    maxConcurrent,
  });
  if (res.status !== 202 && res.status !== 200) {
    throw new Error(`POST /v1/batches: HTTP ${res.status}: ${res.body.message ?? JSON.stringify(res.body)}`);
  }
}

/** The batch's final state as the API reports it; throws unless every order succeeded. */
async function checkBatch(api: string, batchId: string, orders: number): Promise<void> {
  const res = await requestJson<{ status?: string; progress?: { succeeded?: number } }>(
    'GET',
    `${api}/v1/batches/${batchId}`,
  );
  const succeeded = res.body.progress?.succeeded;
  if (res.status !== 200 || res.body.status !== 'succeeded' || succeeded !== orders) {
    throw new Error(
      `GET /v1/batches/${batchId}: HTTP ${res.status}, ${JSON.stringify(res.body).slice(0, 300)}`,
    );
  }
}

// --- The scenarios. ---

export async function batch(stack: Stack, cfg: BenchConfig, ctx: BatchContext): Promise<Figure[]> {
  return runBatches(stack, cfg, ctx, {
    scenario: '5. batch',
    orders: cfg.batchOrders,
    rounds: cfg.batchRounds,
    againstRaw: true,
  });
}

/** `--big`: one batch of `bigBatchOrders`, no baseline. */
export async function bigBatch(stack: Stack, cfg: BenchConfig, ctx: BatchContext): Promise<Figure[]> {
  return runBatches(stack, cfg, ctx, {
    scenario: '7. big batch',
    orders: cfg.bigBatchOrders,
    rounds: 1,
    againstRaw: false,
  });
}

interface Plan {
  scenario: string;
  orders: number;
  rounds: number;
  againstRaw: boolean;
}

async function runBatches(stack: Stack, cfg: BenchConfig, ctx: BatchContext, plan: Plan): Promise<Figure[]> {
  const dataDir = path.join(ctx.dir, `batch-worker-${plan.scenario[0]}`);
  mkdirSync(dataDir, { recursive: true });
  const mark = ctx.cleanup.size;
  let sampler: NodeJS.Timeout | undefined;
  try {
    // The batch's worker, `superscript worker` in a process of its own so its memory is its own, and the API
    // for its queue in this process, as `superscript api` would serve it. Both on the tuned server, sharing a
    // key store file in the batch's data folder.
    const temporal = externalTemporal({
      address: stack.tunedAddress,
      namespace: stack.namespace,
      keyStoreUrl: embeddedKeyStoreUrl(dataDir),
    });
    const processes = await ProcessStack.open({
      temporal,
      taskQueue: QUEUE,
      env: {
        SUPERSCRIPT_DATA_DIR: dataDir,
        SUPERSCRIPT_CONFIG: ctx.registryFile,
        SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: '0',
      },
      stopGraceMs: 0,
    });
    ctx.cleanup.add(
      'batch worker process',
      () => processes.stop(),
      () => processes.killNow(),
    );
    const worker = await processes.startWorker();
    const settings = {
      ...loadSettings({
        SUPERSCRIPT_DATA_DIR: dataDir,
        SUPERSCRIPT_TASK_QUEUE: QUEUE,
        SUPERSCRIPT_WAIT_SECONDS: '0',
        SUPERSCRIPT_LOG_LEVEL: 'silent',
      }),
      apiPort: 0,
    };
    const batchApi = await startInProcess(
      { settings, registry: ctx.registry, log: pino({ level: 'error' }, pino.destination(2)) },
      { temporal, workers: 0, api: apiAccess(settings.apiHost, undefined) },
    );
    ctx.cleanup.add('batch API', () => batchApi.stop());
    const api = batchApi.api!.url;
    const readyRssKb = statusKb(worker.pid, 'VmRSS');
    let sampledPeakKb = 0;
    sampler = setInterval(
      () => (sampledPeakKb = Math.max(sampledPeakKb, statusKb(worker.pid, 'VmRSS') ?? 0)),
      100,
    );
    const died = worker.exited.then((exit) => {
      throw new Error(`batch worker process exited (${exit.code ?? exit.signal})`);
    });
    died.catch(() => {}); // It loses the race when the batches end first, and rejects later at shutdown.

    const n = plan.orders;
    const wall = { mine: [] as number[], raw: [] as number[] };
    const history = { mine: 0, raw: 0, mineRuns: 0, rawRuns: 0 };
    let wrongExecutions = 0;
    // ABBA...: each path goes first as often as second, so drift favours neither.
    const order = Array.from({ length: plan.rounds }, (_, r) =>
      r % 2 === 0 ? (['mine', 'raw'] as const) : (['raw', 'mine'] as const),
    ).flat();
    for (const [i, who] of order.entries()) {
      if (who === 'raw' && !plan.againstRaw) continue;
      const prefix = orderPrefix(stack.persistence, `b${who}`, `s${plan.scenario[0]}r${i}`);
      const orders = Array.from({ length: n }, (_, k) => ({ orderId: prefix + k, amount: 10 }));
      const id = `${prefix}batch`;
      let workflowId: string;
      if (who === 'mine') {
        workflowId = batchWorkflowId(id);
        wall.mine.push(
          await timed(async () => {
            await submitBatch(api, id, orders, cfg.batchConcurrency);
            const end = awaitOutcome(stack.client, workflowId, undefined, BATCH_WAIT_MS);
            // Abandoned if the worker dies, so a broken worker fails the scenario instead of hanging it.
            await Promise.race([end, died]);
          }),
        );
        await checkBatch(api, id, n);
        if (chargesWithPrefix(dataDir, prefix) !== n) wrongExecutions++;
      } else {
        workflowId = `raw-${id}`;
        let succeeded = 0;
        wall.raw.push(
          await timed(async () => {
            ({ succeeded } = await stack.raw.executeBatch(workflowId, orders, cfg.batchConcurrency));
          }),
        );
        if (succeeded !== n || chargesWithPrefix(stack.rawDataDir, prefix) !== n) {
          throw new Error(`raw batch ${id}: ${succeeded} of ${n} succeeded`);
        }
      }
      const runs = await runHistories(stack.client, workflowId);
      history[who] = Math.max(history[who], ...runs);
      history[who === 'mine' ? 'mineRuns' : 'rawRuns'] = runs.length;
    }
    clearInterval(sampler);
    const hwmKb = statusKb(worker.pid, 'VmHWM') ?? 0;
    const peakMb = Math.max(hwmKb, sampledPeakKb) / 1024;

    const common = { scenario: plan.scenario, persistence: stack.persistence };
    const withRaw = plan.againstRaw ? { against: AGAINST.fanOut } : {};
    return [
      roundsFigure({
        ...common,
        ...withRaw,
        metric: `${n} orders through POST /v1/batches: wall time`,
        unit: 's',
        superscript: wall.mine.map((ms) => ms / 1000),
        ...(plan.againstRaw
          ? { baseline: wall.raw.map((ms) => ms / 1000), target: TARGETS.batchWallTime }
          : {}),
      }),
      figure({
        ...common,
        metric: `${n} orders: worker peak RSS (whole process life, ${plan.rounds} batch(es))`,
        unit: 'MB',
        superscript: peakMb,
        ...(plan.againstRaw ? { target: { on: 'value', op: '<=', limit: cfg.rssBoundMb } } : {}),
      }),
      figure({
        ...common,
        metric: 'worker RSS when ready, before any batch',
        unit: 'MB',
        superscript: (readyRssKb ?? 0) / 1024,
      }),
      figure({
        ...common,
        ...withRaw,
        metric: `${n} orders: longest history of any run of the batch (SuperScript: ${history.mineRuns} runs${plan.againstRaw ? `, raw: ${history.rawRuns}` : ''})`,
        unit: 'events',
        superscript: history.mine,
        ...(plan.againstRaw ? { baseline: history.raw } : {}),
      }),
      figure({
        ...common,
        metric: `${n} orders: batches whose ledger lines (script executions) were not exactly ${n}`,
        unit: 'batches',
        superscript: wrongExecutions,
        target: { on: 'value', op: '=', limit: 0 },
      }),
    ];
  } finally {
    clearInterval(sampler);
    await ctx.cleanup.run(mark);
  }
}

/**
 * History lengths of every run of a batch, once all are closed: each run (continue-as-new) under its workflow
 * ID, and any workflow whose ID extends it (a batch's own sub-workflows).
 */
async function runHistories(client: Client, workflowId: string): Promise<number[]> {
  // Visibility records a run's close a moment after it closes.
  for (let attempt = 0; ; attempt++) {
    const runs: { closed: boolean; length: number }[] = [];
    for await (const info of client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowId}'` })) {
      runs.push({ closed: info.status.name !== 'RUNNING', length: info.historyLength });
    }
    if ((runs.length > 0 && runs.every((r) => r.closed)) || attempt >= 50) return runs.map((r) => r.length);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function statusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
