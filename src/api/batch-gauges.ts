// Progress of the batches running now, read from Temporal for /metrics: at most once per interval, however
// often /metrics is scraped.
//
// Why the API and not the worker hosting the orchestrator: a batch's progress lives in Temporal, and any
// reader sees the same. A gauge kept by the hosting worker would vanish with that worker and come back
// only once the batch made progress on another (the workflow emits nothing while it replays), and a
// batch evicted from a worker's cache would leave a stale series behind. Read from Temporal, the gauges
// hold only the batches running then: a batch that ended is not listed, so it leaves them (bounded
// cardinality, and nothing to clean up).
import { Gauge, type Registry } from 'prom-client';
import { throttled } from '../metrics/throttled.js';
import type { RunService } from '../runs/service.js';
import type { BatchProgress } from '../shared/schemas/batches.js';

/** At most this many batches per computation: the listing is newest first. */
export const MAX_BATCH_GAUGES = 100;
/**
 * The gauges are computed at most once per this interval: each computation lists the running batches and
 * reads each (a description and up to two queries per batch: up to about 300 calls to Temporal), and
 * /metrics scraped in a loop must not repeat that. Scrapes within it get the last values. 15 s: a usual scrape interval, so a
 * scraper at that rate or slower sees fresh values each time.
 */
export const BATCH_GAUGES_INTERVAL_MS = 15_000;
/** A batch whose workflow cannot answer (no worker up) is left out of a computation rather than stall it. */
const QUERY_DEADLINE_MS = 2000;

export interface BatchGaugeOptions {
  /** Default BATCH_GAUGES_INTERVAL_MS. */
  intervalMs?: number;
  /** The clock the interval is measured by. Default Date.now; tests move time themselves. */
  now?: () => number;
}

interface BatchOrders {
  batch: string;
  progress: BatchProgress;
}

export function batchGauges(registry: Registry, runs: RunService, options: BatchGaugeOptions = {}): void {
  const { intervalMs = BATCH_GAUGES_INTERVAL_MS, now } = options;
  const current = throttled(() => compute(runs), { intervalMs, now });
  new Gauge({
    name: 'superscript_batch_orders',
    help: 'Orders of each running batch: done (reported) and pending. A batch leaves when it ends.',
    labelNames: ['batch', 'state'],
    registers: [registry],
    async collect() {
      const values = await current();
      this.reset();
      for (const { batch, progress } of values) {
        this.set({ batch, state: 'done' }, progress.done);
        this.set({ batch, state: 'pending' }, progress.pending);
      }
    },
  });
}

async function compute(runs: RunService): Promise<BatchOrders[]> {
  // With Temporal unreachable, the scrape still answers (with no batch gauges): /healthz and the
  // requests' `error` disposition say what is wrong.
  const batches = await runs.listBatches({ status: 'running', limit: MAX_BATCH_GAUGES }).catch(() => []);
  const values = await Promise.all(
    batches.map(async ({ batchId }) => {
      const progress = await runs.batchProgress(batchId, QUERY_DEADLINE_MS);
      return progress && { batch: batchId, progress };
    }),
  );
  return values.filter((v) => v !== undefined);
}
