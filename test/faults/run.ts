// `npm run faults [-- R1 R3 ...]`: breaks the real stack on purpose and checks that exactly-once holds.
// Each scenario prints its figures; the run exits 1 when any invariant broke, and writes
// test/faults/results/latest.json. `--cluster` runs them on a real cluster instead of the dev server (PostgreSQL
// and the full Temporal server, two workers and two APIs per scenario), plus the faults only a cluster has
// (R6, R7), and writes test/faults/results/cluster.json; R8-R10 are the key store's (hand-started workflows,
// deleted histories, the store's own outage); `--quick` runs a short subset of those (for CI) and
// writes cluster-quick.json. FAULTS_CLI=src runs workers and the API from source instead of dist/;
// FAULTS_KEEP_DATA=1 keeps each scenario's data folder (ledger, pids, SQLite file, cluster) in the temp folder.
import { TEMPORAL_SERVER_VERSION } from '../../src/cluster/binaries.js';
import { ensureTemporalCli } from '../../src/devserver/temporal-cli.js';
import { formatScenario, formatSummary, writeReport } from './report.js';
import type { ScenarioContext, ScenarioResult } from './scenario.js';
import { dedupStorm } from './scenarios/r1-dedup-storm.js';
import { workerSigkill } from './scenarios/r2-worker-sigkill.js';
import { serverSigkill } from './scenarios/r3-server-sigkill.js';
import { scaleOut } from './scenarios/r4-scale-out.js';
import { hostileInput } from './scenarios/r5-hostile-input.js';
import { postgresRestart } from './scenarios/r6-postgres-restart.js';
import { handStarted } from './scenarios/r8-hand-started.js';
import { historyDeleted } from './scenarios/r9-history-deleted.js';
import { keyStoreOutage } from './scenarios/r10-key-store-outage.js';
import { cleanup, ensureBuilt, type CliSource } from './stack.js';
import { startClusterTopology, startDevTopology, type RunningTopology } from './topology.js';

type Scenarios = Record<string, (ctx: ScenarioContext) => Promise<ScenarioResult>>;

const SCENARIOS: Scenarios = {
  R1: (ctx) => dedupStorm(ctx, { requests: 1000, keys: 20 }),
  R2: (ctx) => workerSigkill(ctx, { trials: 20, scriptSeconds: 20, maxKillDelayMs: 2000 }),
  R3: (ctx) => serverSigkill(ctx, { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 1000 }),
  R4: (ctx) => scaleOut(ctx, { orders: 120, maxConcurrent: 20, killAtFraction: 0.25, minInFlight: 3 }),
  // Nothing else uses the suite's own server, so the namespace-wide count must not move either.
  R5: (ctx) => hostileInput(ctx, { namespaceExclusive: true }),
  R8: (ctx) => handStarted(ctx),
  R9: (ctx) => historyDeleted(ctx, { payments: 20 }),
  R10: (ctx) => keyStoreOutage(ctx, { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 5000 }),
};

/** The faults a cluster has that the dev server does not: its database, and several API processes. */
const CLUSTER_SCENARIOS: Scenarios = {
  ...SCENARIOS,
  R6: (ctx) => postgresRestart(ctx, { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 1000 }),
  R7: (ctx) => dedupStorm(ctx, { requests: 1000, keys: 20, killOneApi: true }),
};

/** CI's share of the cluster faults: every kind of crash, at a smaller size. */
const CLUSTER_QUICK: Scenarios = {
  R1: (ctx) => dedupStorm(ctx, { requests: 100, keys: 5 }),
  R2: (ctx) => workerSigkill(ctx, { trials: 3, scriptSeconds: 20, maxKillDelayMs: 1000 }),
  R3: (ctx) => serverSigkill(ctx, { orders: 40, maxConcurrent: 10, killAtFraction: 0.25, downMs: 1000 }),
  R6: (ctx) => postgresRestart(ctx, { orders: 40, maxConcurrent: 10, killAtFraction: 0.25, downMs: 1000 }),
  R7: (ctx) => dedupStorm(ctx, { requests: 100, keys: 5, killOneApi: true }),
  R8: (ctx) => handStarted(ctx),
  R10: (ctx) => keyStoreOutage(ctx, { orders: 40, maxConcurrent: 10, killAtFraction: 0.25, downMs: 3000 }),
};

const log = (line: string) => console.log(line);
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const cluster = flags.includes('--cluster');
const quick = flags.includes('--quick');
const badFlag = flags.find((f) => f !== '--cluster' && f !== '--quick');
if (badFlag || (quick && !cluster)) {
  console.error(
    `${badFlag ? `unknown option ${badFlag}` : '--quick needs --cluster'}; usage: npm run faults -- [--cluster [--quick]] [R1 R2 ...]`,
  );
  process.exit(2);
}
const table = cluster ? (quick ? CLUSTER_QUICK : CLUSTER_SCENARIOS) : SCENARIOS;
const requested = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map((a) => a.toUpperCase());
const unknown = requested.filter((id) => !(id in table));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from ${Object.keys(table).join(' ')}`);
  process.exit(2);
}
const selected = requested.length > 0 ? requested : Object.keys(table);
const cli: CliSource = process.env.FAULTS_CLI === 'src' ? 'src' : 'dist';
const resultsName = cluster ? (quick ? 'cluster-quick' : 'cluster') : 'latest';

if (cli === 'dist') ensureBuilt(log);
const startedAt = new Date();
const results: ScenarioResult[] = [];
// The scenarios share one server (each on its own task queue); on the dev server R3 crashes one of its own.
const starting = startTopology();

// Ctrl-C must not leave servers, databases, workers or scripts behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanup.killAll();
    void starting
      .then((t) => t.stop())
      .catch(() => {})
      .finally(() => process.exit(130));
  });
}

const { topology, stop } = await starting;
try {
  for (const id of selected) {
    log(`\n${id} ...`);
    const result = await table[id]!({ topology, cli, log });
    log(formatScenario(result));
    results.push(result);
  }
} finally {
  await stop();
}
const durationMs = Date.now() - startedAt.getTime();
const file = writeReport(resultsName, results, {
  startedAt,
  durationMs,
  cli,
  selected,
  topology: topology.name,
});
log(`\n${formatSummary(results, durationMs)}\nresults: ${file}`);
process.exit(results.every((r) => r.held) ? 0 : 1);

async function startTopology(): Promise<RunningTopology> {
  const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
  if (!cluster) {
    const running = await startDevTopology(cliPath);
    log(
      `faults: Temporal dev server ${running.topology.server.address}; workers and API from ${cli}; scenarios ${selected.join(' ')}`,
    );
    return running;
  }
  const started = Date.now();
  const running = await startClusterTopology(cliPath, log);
  const { cluster: local } = running.temporal;
  log(
    `faults: Temporal Server ${TEMPORAL_SERVER_VERSION} ${local.address} on PostgreSQL 127.0.0.1:${local.postgres.port} ` +
      `(namespace ${local.namespace}; up in ${((Date.now() - started) / 1000).toFixed(1)} s, data ${running.dir}); ` +
      `2 workers and 2 APIs per scenario from ${cli}; scenarios ${selected.join(' ')}`,
  );
  return running;
}
