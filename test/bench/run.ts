// `npm run bench`: starts its own Temporal dev servers and workers as children of this process, runs every
// scenario against SuperScript and the raw-SDK baselines, prints a table and writes test/bench/results/latest.*.
// `npm run bench -- --cluster` runs scenarios 1 and 3 on the embedded default and on a real cluster
// (PostgreSQL and the full Temporal server) and writes test/bench/results/cluster.*; `-- --big` the
// 100,000-order batch alone, into test/bench/results/big.*. Sizes: see config.ts (BENCH_QUICK=1 for a short run).
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadRegistry } from '../../src/config/scripts.js';
import { ensureTemporalCli } from '../../src/devserver/temporal-cli.js';
import { Cleanup } from '../support/cleanup.js';
import { ROOT, SHIPPED_REGISTRY } from '../support/paths.js';
import { loadConfig, type Persistence } from './config.js';
import { besideEmbedded, untargeted, type Figure } from './figures.js';
import { describeMachine, loadAverage, textTable, writeReport, type Report } from './report.js';
import { batch, bigBatch } from './scenarios/batch.js';
import { dedupStorm } from './scenarios/dedup-storm.js';
import { duplicate } from './scenarios/duplicate.js';
import { firstRun } from './scenarios/first-run.js';
import { runner } from './scenarios/runner.js';
import { throughput } from './scenarios/throughput.js';
import { startStack, type Stack } from './stack.js';

const RESULTS = path.join(ROOT, 'test', 'bench', 'results');

const log = (line: string) => console.error(`bench: ${line}`);
// tsx turns source maps on, which makes every Error's stack several times dearer to build; users run the
// build without them, so the bench measures SuperScript (and the baselines) that way too.
process.setSourceMapsEnabled(false);
// The SDK logs every worker state change at INFO; only warnings belong next to the progress lines.
Runtime.install({ logger: new DefaultLogger('WARN') });
const cfg = loadConfig();
const reportName = cfg.report;
const cleanup = new Cleanup();
// On Ctrl-C, stop at once: exiting runs the cleanup's synchronous half (SIGKILL every child, remove the
// scratch folder). A graceful stop would race the scenario still using the connections it closes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    process.exit(130);
  });
}

// Overhead is what we measure, not the example's simulated provider delay. Every ledger goes to its own
// worker's data folder, never to a shared LEDGER_FILE.
process.env.PAYMENT_DELAY_SECONDS = '0';
delete process.env.LEDGER_FILE;

const figures: Figure[] = [];
const errors: Report['errors'] = [];
let report: Report | undefined;

/** Runs one scenario; a scenario that throws is reported and the others still run. */
async function scenario(
  name: string,
  persistence: Persistence | null,
  fn: () => Promise<Figure[]>,
): Promise<void> {
  const where = persistence ? `[${persistence}] ` : '';
  if (!cfg.scenarios.includes(name.split('.')[0]!)) return;
  const start = performance.now();
  try {
    figures.push(...(await fn()));
    log(`${where}${name}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  } catch (err) {
    log(`${where}${name} failed: ${(err as Error).stack ?? String(err)}`);
    errors.push({ scenario: name, persistence, message: (err as Error).message });
  }
}

try {
  // Under test/bench/results/ (git-ignored *.tmp), i.e. on the project's disk, where the embedded default keeps
  // its database, so durability `full` pays the same fsyncs it does for users.
  const scratch = path.join(RESULTS, `scratch-${process.pid}.tmp`);
  mkdirSync(scratch, { recursive: true });
  const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
  cleanup.add('scratch folder', async () => removeScratch(), removeScratch);

  const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, log });
  const machine = await describeMachine(cliPath);
  const registry = loadRegistry(SHIPPED_REGISTRY);
  log(`${cfg.quick ? 'quick' : 'full'} run on ${machine.cores} cores, ${machine.temporalCli}`);

  // First, while no server is running: it measures process spawning, which background load distorts most.
  await scenario('6. script runner alone', null, () => runner(cfg));

  for (const persistence of cfg.persistence) {
    const mark = cleanup.size;
    const dir = path.join(scratch, persistence);
    mkdirSync(dir, { recursive: true });
    try {
      log(`[${persistence}] starting servers and workers`);
      const stack: Stack = await startStack({
        persistence,
        cliPath,
        registry,
        dir,
        cleanup,
        // A --cluster run compares the embedded default with the cluster, not with a stock server.
        stockBaseline: !cfg.cluster,
      });
      await scenario('1. first run', persistence, () => firstRun(stack, cfg));
      await scenario('2. duplicate', persistence, () => duplicate(stack, cfg));
      await scenario('3. throughput', persistence, () => throughput(stack, cfg));
      await scenario('4. dedup storm', persistence, () => dedupStorm(stack, cfg));
      const batchCtx = { registry, registryFile: SHIPPED_REGISTRY, dir, cleanup };
      await scenario('5. batch', persistence, () => batch(stack, cfg, batchCtx));
      await scenario('7. big batch', persistence, () => bigBatch(stack, cfg, batchCtx));
    } catch (err) {
      log(`[${persistence}] could not start: ${(err as Error).stack ?? String(err)}`);
      errors.push({ scenario: 'start-up', persistence, message: (err as Error).message });
    } finally {
      log(`[${persistence}] stopping servers and workers`);
      await cleanup.run(mark);
    }
  }

  // A real cluster's figures are the cost of a deployment, measured: shown beside the embedded default's, and
  // not held to targets (nor is anything in a --cluster run: its report is about that cost).
  const all = [
    ...figures.map((f) => (cfg.cluster || f.persistence === 'cluster' ? untargeted(f) : f)),
    ...besideEmbedded(figures),
  ];
  machine.loadAverageAtEnd = loadAverage();
  report = { generatedAt: new Date().toISOString(), machine, config: cfg, figures: all, errors };
  await writeReport(RESULTS, reportName, report);
} finally {
  await cleanup.run();
}

console.log(textTable(report));
log(`wrote ${path.relative(process.cwd(), path.join(RESULTS, `${reportName}.json`))} and ${reportName}.md`);
// Missed targets are results, not failures; only a scenario that could not run fails the bench.
process.exitCode = errors.length > 0 ? 1 : 0;
