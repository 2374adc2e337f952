// Benchmark sizes, from the environment. BENCH_QUICK=1 shrinks everything for a run of a few minutes; any
// single size can be overridden, e.g. BENCH_LATENCY_RUNS=500. `npm run bench -- --big` runs only the
// 100,000-order batch (scenario 7). `--cluster` measures a real cluster (PostgreSQL and the full Temporal
// server) beside the embedded default: scenarios 1 and 3 by default. The targets are in figures.ts.

/** Where the server keeps its state: the embedded dev server's SQLite file or memory, or a real cluster. */
export type Persistence = 'file' | 'memory' | 'cluster';
const PERSISTENCE: readonly Persistence[] = ['file', 'memory', 'cluster'];

export interface BenchConfig {
  quick: boolean;
  /** `--cluster`: the report is test/bench/results/cluster.*, not latest.* (unless BENCH_REPORT names another). */
  cluster: boolean;
  /** `--big`: only the big batch, written to results/big.{json,md}. */
  big: boolean;
  /**
   * The report's name in test/bench/results (BENCH_REPORT): `latest`, `cluster` or `big` by default, so a run of
   * some scenarios can be kept beside the last full run instead of replacing it.
   */
  report: string;
  /** Runs per path before anything is measured, so JIT, connections and server caches are warm. */
  warmup: number;
  /**
   * Measured rounds per latency figure (scenarios 1, 2) and throughput figure (scenario 3). The paths take
   * turns within a round; a figure is the median of its per-round values, reported with their spread.
   */
  rounds: number;
  /** Sequential first runs per path, over all rounds (scenario 1). */
  latencyRuns: number;
  /** Duplicate requests per path, over all rounds (scenario 2). */
  duplicateRuns: number;
  concurrencies: number[];
  stormRequests: number;
  stormKeys: number;
  /** Orders per batch (scenario 5). */
  batchOrders: number;
  /** Batches per path (scenario 5), SuperScript and the raw fan-out taking turns (ABBA...). */
  batchRounds: number;
  /** Orders in the big batch (scenario 7, `--big`). */
  bigBatchOrders: number;
  /** Children in flight per batch, for SuperScript's orchestrator and the raw fan-out alike. */
  batchConcurrency: number;
  /** Worker peak RSS bound (scenario 5). */
  rssBoundMb: number;
  spawnRuns: number;
  persistence: Persistence[];
  /** Scenario numbers to run (BENCH_SCENARIOS=1,2); all but 7 by default, only 7 with --big. */
  scenarios: string[];
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv.slice(2),
): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const unknown = argv.find((a) => a !== '--cluster' && a !== '--big');
  if (unknown) throw new Error(`unknown option ${unknown}; usage: npm run bench [-- --cluster | --big]`);
  const cluster = argv.includes('--cluster');
  const big = argv.includes('--big');
  if (cluster && big) throw new Error('--cluster and --big are separate runs: pass one');
  const size = (name: string, full: number, small: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return quick ? small : full;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${name} must be a positive whole number, not "${raw}"`);
    return n;
  };
  const persistence = (env.BENCH_PERSISTENCE ?? (cluster ? 'file,cluster' : big ? 'file' : 'file,memory'))
    .split(',')
    .map((p) => p.trim());
  for (const p of persistence) {
    if (!PERSISTENCE.includes(p as Persistence))
      throw new Error(`BENCH_PERSISTENCE lists ${PERSISTENCE.join(', ')}, not "${p}"`);
  }
  const report = env.BENCH_REPORT || (cluster ? 'cluster' : big ? 'big' : 'latest');
  if (!/^[a-z0-9-]+$/.test(report))
    throw new Error(
      `BENCH_REPORT names a file in test/bench/results: lowercase letters, digits, "-"; not "${report}"`,
    );
  return {
    quick,
    cluster,
    big,
    report,
    warmup: size('BENCH_WARMUP', 20, 5),
    rounds: size('BENCH_ROUNDS', 5, 3),
    latencyRuns: size('BENCH_LATENCY_RUNS', 250, 45),
    duplicateRuns: size('BENCH_DUPLICATE_RUNS', 500, 90),
    concurrencies: [20, 100],
    stormRequests: size('BENCH_STORM_REQUESTS', 1000, 200),
    stormKeys: size('BENCH_STORM_KEYS', 20, 20),
    batchOrders: size('BENCH_BATCH_ORDERS', 10_000, 100),
    batchRounds: size('BENCH_BATCH_ROUNDS', 2, 1),
    bigBatchOrders: size('BENCH_BIG_BATCH_ORDERS', 100_000, 100_000),
    batchConcurrency: size('BENCH_BATCH_CONCURRENCY', 50, 50),
    rssBoundMb: size('BENCH_RSS_BOUND_MB', 300, 300),
    spawnRuns: size('BENCH_SPAWN_RUNS', 300, 50),
    persistence: persistence as Persistence[],
    scenarios: (env.BENCH_SCENARIOS ?? (cluster ? '1,3' : big ? '7' : '1,2,3,4,5,6'))
      .split(',')
      .map((n) => n.trim()),
  };
}
