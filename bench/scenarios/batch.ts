// Scenario 5: one batch of many orders through the orchestrator, served by the product's own worker
// (`bin/superscript.js worker`, from the build, with its prebuilt workflow bundle) in a process of its own,
// whose peak RSS over its whole life is read from the kernel (VmHWM) and cross-checked by sampling VmRSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ScriptRegistry } from '../../src/config/scripts.js';
import { batchPlan } from '../../src/runs/requests.js';
import { batchWorkflowId, type BatchResult } from '../../src/workflows/contract.js';
import type { Cleanup } from '../cleanup.js';
import type { BenchConfig } from '../config.js';
import { figure, type Figure } from '../figures.js';
import { ledgerCount, orderPrefix } from '../paths.js';
import type { Stack } from '../stack.js';
import { timed } from '../stats.js';

const SCENARIO = '5. batch';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const QUEUE = 'bench-batch';
const BATCH_WAIT_MS = 15 * 60_000;

export async function batch(
  stack: Stack,
  cfg: BenchConfig,
  ctx: { registry: ScriptRegistry; registryFile: string; dir: string; cleanup: Cleanup },
): Promise<Figure[]> {
  const dataDir = path.join(ctx.dir, 'batch-worker');
  mkdirSync(dataDir, { recursive: true });
  const mark = ctx.cleanup.size;
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'superscript.js'), 'worker'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: stack.tunedAddress,
      SUPERSCRIPT_TASK_QUEUE: QUEUE,
      SUPERSCRIPT_DATA_DIR: dataDir,
      SUPERSCRIPT_CONFIG: ctx.registryFile,
      SUPERSCRIPT_LOG_LEVEL: 'info',
      SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  ctx.cleanup.add(
    'batch worker process',
    () => stopChild(child),
    () => child.kill('SIGKILL'),
  );
  let sampler: NodeJS.Timeout | undefined;
  try {
    await readyLine(child);
    const readyRssKb = statusKb(child.pid!, 'VmRSS');
    let sampledPeakKb = 0;
    sampler = setInterval(
      () => (sampledPeakKb = Math.max(sampledPeakKb, statusKb(child.pid!, 'VmRSS') ?? 0)),
      100,
    );

    const prefix = orderPrefix(stack.persistence, 'batch', 's5');
    const orders = Array.from({ length: cfg.batchOrders }, (_, i) => ({ orderId: prefix + i, amount: 10 }));
    const batchId = `${prefix}batch`;
    let result: BatchResult | undefined;
    const ms = await timed(async () => {
      const plan = batchPlan(ctx.registry, QUEUE, { batchId, orders });
      // Bounded, and abandoned if the worker dies, so a broken worker fails the scenario instead of hanging it.
      const died = exitOf(child);
      died.catch(() => {}); // It loses the race when the batch ends first, and rejects later at shutdown.
      const r = await Promise.race([stack.runs.startBatch(plan, BATCH_WAIT_MS), died]);
      result = r.run.result as BatchResult | undefined;
      if (r.run.status !== 'succeeded' || !result) {
        throw new Error(`batch ${batchId}: ${r.run.status} ${r.run.message ?? ''}`);
      }
    });
    clearInterval(sampler);
    const hwmKb = statusKb(child.pid!, 'VmHWM') ?? 0;
    const historyLength = (await stack.runs.describe(batchWorkflowId(batchId))).historyLength;
    const peakMb = Math.max(hwmKb, sampledPeakKb) / 1024;

    const common = { scenario: SCENARIO, persistence: stack.persistence };
    const n = cfg.batchOrders;
    return [
      figure({ ...common, metric: `${n} orders: wall time`, unit: 's', superscript: ms / 1000 }),
      figure({
        ...common,
        metric: `${n} orders: worker peak RSS (whole process life)`,
        unit: 'MB',
        superscript: peakMb,
        target: { on: 'value', op: '<', limit: cfg.rssBoundMb },
      }),
      figure({
        ...common,
        metric: 'worker RSS when ready, before the batch',
        unit: 'MB',
        superscript: (readyRssKb ?? 0) / 1024,
      }),
      figure({
        ...common,
        metric: `${n} orders: coordinator's last run, history length`,
        unit: 'events',
        superscript: historyLength,
      }),
      figure({
        ...common,
        metric: `${n} orders: executions (ledger lines; ${result!.progress.succeeded} succeeded)`,
        unit: 'runs',
        superscript: ledgerCount(dataDir, prefix),
        target: { on: 'value', op: '=', limit: n },
      }),
    ];
  } finally {
    clearInterval(sampler);
    await ctx.cleanup.run(mark);
  }
}

function exitOf(child: ChildProcess): Promise<never> {
  return new Promise((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`batch worker process exited (${code ?? signal})`)),
    ),
  );
}

/** Resolves when the worker logs that it polls (its pino JSON lines go to stderr). */
function readyLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`batch worker process ${why}`));
    };
    const timer = setTimeout(() => fail('was not ready within 120 s'), 120_000);
    const onExit = (code: number | null) => fail(`exited (${code}) before it was ready`);
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (!line.includes('"worker running"')) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.removeAllListeners('line');
      lines.on('line', () => {}); // keep draining stderr so the worker never blocks on it
      resolve();
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function statusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
