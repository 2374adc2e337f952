// `npm run faults [-- R1 R3 ...]`: breaks the real stack on purpose and checks that exactly-once holds.
// Each scenario prints its figures; the run exits 1 when any invariant broke, and writes
// faults/results/latest.json. FAULTS_CLI=src runs workers and the API from source instead of dist/;
// FAULTS_KEEP_DATA=1 keeps each scenario's data folder (ledger, pids, SQLite file) in the temp folder.
import { formatScenario, formatSummary, writeReport } from './report.js';
import type { ScenarioContext, ScenarioResult } from './scenario.js';
import { dedupStorm } from './scenarios/r1-dedup-storm.js';
import { workerSigkill } from './scenarios/r2-worker-sigkill.js';
import { serverSigkill } from './scenarios/r3-server-sigkill.js';
import { scaleOut } from './scenarios/r4-scale-out.js';
import { hostileInput } from './scenarios/r5-hostile-input.js';
import { ManagedServer, ensureBuilt, killEverything, type CliSource } from './stack.js';

const SCENARIOS: Record<string, (ctx: ScenarioContext) => Promise<ScenarioResult>> = {
  R1: (ctx) => dedupStorm(ctx, { requests: 1000, keys: 20 }),
  R2: (ctx) => workerSigkill(ctx, { trials: 20, scriptSeconds: 20, maxKillDelayMs: 2000 }),
  R3: (ctx) => serverSigkill(ctx, { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 1000 }),
  R4: (ctx) => scaleOut(ctx, { orders: 120, maxConcurrent: 20, killAtFraction: 0.25, minInFlight: 3 }),
  // Nothing else uses the suite's own server, so the namespace-wide count must not move either.
  R5: (ctx) => hostileInput(ctx, { namespaceExclusive: true }),
};

const log = (line: string) => console.log(line);
const requested = process.argv.slice(2).map((a) => a.toUpperCase());
const unknown = requested.filter((id) => !(id in SCENARIOS));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from ${Object.keys(SCENARIOS).join(' ')}`);
  process.exit(2);
}
const selected = requested.length > 0 ? requested : Object.keys(SCENARIOS);
const cli: CliSource = process.env.FAULTS_CLI === 'src' ? 'src' : 'dist';

// Ctrl-C must not leave servers, workers or scripts behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killEverything();
    process.exit(130);
  });
}

if (cli === 'dist') ensureBuilt(log);
const startedAt = new Date();
const results: ScenarioResult[] = [];
// R1, R2, R4 and R5 share one server (each on its own task queue); R3 crashes a server of its own.
const main = await ManagedServer.start({ durability: 'memory' });
log(
  `faults: Temporal dev server ${main.address}; workers and API from ${cli}; scenarios ${selected.join(' ')}`,
);
try {
  for (const id of selected) {
    log(`\n${id} ...`);
    const result = await SCENARIOS[id]!({ address: main.address, cli, log });
    log(formatScenario(result));
    results.push(result);
  }
} finally {
  await main.stop();
}
const durationMs = Date.now() - startedAt.getTime();
const file = writeReport(results, { startedAt, durationMs, cli, selected });
log(`\n${formatSummary(results, durationMs)}\nresults: ${file}`);
process.exit(results.every((r) => r.held) ? 0 : 1);
