// Benchmark sizes, from the environment. BENCH_QUICK=1 shrinks everything for a run of about two minutes;
// any single size can be overridden, e.g. BENCH_LATENCY_RUNS=500. `--cluster` measures a real cluster
// (PostgreSQL and the full Temporal server) beside the embedded default: scenarios 1 and 3 by default.

/** Where the server keeps its state: the embedded dev server's SQLite file or memory, or a real cluster. */
export type Persistence = 'file' | 'memory' | 'cluster';
const PERSISTENCE: readonly Persistence[] = ['file', 'memory', 'cluster'];

export interface BenchConfig {
  quick: boolean;
  /** `--cluster`: the report is bench/results/cluster.*, not latest.*. */
  cluster: boolean;
  /** Runs per path before anything is measured, so JIT, connections and server caches are warm. */
  warmup: number;
  /** Sequential first runs per path (scenario 1). */
  latencyRuns: number;
  /** Duplicate requests per path (scenario 2). */
  duplicateRuns: number;
  /** Measured rounds per throughput figure (scenario 3); the figure is their median. */
  throughputRounds: number;
  concurrencies: number[];
  stormRequests: number;
  stormKeys: number;
  batchOrders: number;
  /** Worker peak RSS must stay under this (scenario 5). */
  rssBoundMb: number;
  spawnRuns: number;
  persistence: Persistence[];
  /** Scenario numbers to run (BENCH_SCENARIOS=1,2); all by default. */
  scenarios: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const unknown = argv.find((a) => a !== '--cluster');
  if (unknown) throw new Error(`unknown option ${unknown}; usage: npm run bench [-- --cluster]`);
  const cluster = argv.includes('--cluster');
  const size = (name: string, full: number, small: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return quick ? small : full;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${name} must be a positive whole number, not "${raw}"`);
    return n;
  };
  const persistence = (env.BENCH_PERSISTENCE ?? (cluster ? 'file,cluster' : 'file,memory'))
    .split(',')
    .map((p) => p.trim());
  for (const p of persistence) {
    if (!PERSISTENCE.includes(p as Persistence))
      throw new Error(`BENCH_PERSISTENCE lists ${PERSISTENCE.join(', ')}, not "${p}"`);
  }
  return {
    quick,
    cluster,
    warmup: size('BENCH_WARMUP', 20, 5),
    latencyRuns: size('BENCH_LATENCY_RUNS', 200, 20),
    duplicateRuns: size('BENCH_DUPLICATE_RUNS', 200, 20),
    throughputRounds: size('BENCH_THROUGHPUT_ROUNDS', 3, 1),
    concurrencies: [20, 100],
    stormRequests: size('BENCH_STORM_REQUESTS', 1000, 200),
    stormKeys: size('BENCH_STORM_KEYS', 20, 20),
    batchOrders: size('BENCH_BATCH_ORDERS', 1000, 50),
    rssBoundMb: size('BENCH_RSS_BOUND_MB', 300, 300),
    spawnRuns: size('BENCH_SPAWN_RUNS', 300, 50),
    persistence: persistence as Persistence[],
    scenarios: (env.BENCH_SCENARIOS ?? (cluster ? '1,3' : '1,2,3,4,5,6')).split(',').map((n) => n.trim()),
  };
}
