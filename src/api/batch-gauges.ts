// Progress of the batches running now, read from Temporal when /metrics is scraped.
//
// Why the API and not the worker hosting the orchestrator: a batch's progress lives in Temporal, and any
// reader sees the same. A gauge kept by the hosting worker would vanish with that worker and come back
// only once the batch made progress on another (the workflow emits nothing while it replays), and a
// batch evicted from a worker's cache would leave a stale series behind. Read at scrape time, the gauges
// hold only the batches running now: a batch that ended is not listed, so it leaves them (bounded
// cardinality, and nothing to clean up).
import { Gauge, type Registry } from 'prom-client';
import { batchesQuery } from '../runs/list-query.js';
import type { Runs } from '../runs/runs.js';
import { batchWorkflowId, type BatchProgress } from '../workflows/contract.js';

/** At most this many batches per scrape: the listing is newest first. */
export const MAX_BATCH_GAUGES = 100;
/** A batch whose workflow cannot answer (no worker up) is left out of a scrape rather than stall it. */
const QUERY_DEADLINE_MS = 2000;
const PREFIX = batchWorkflowId('');

export function batchGauges(registry: Registry, runs: Runs): void {
  new Gauge({
    name: 'superscript_batch_orders',
    help: 'Orders of each running batch: done (reported) and pending. A batch leaves when it ends.',
    labelNames: ['batch', 'state'],
    registers: [registry],
    async collect() {
      // With Temporal unreachable, the scrape still answers (with no batch gauges): /healthz and the
      // requests' `error` disposition say what is wrong.
      const batches = await runs
        .listBatches(batchesQuery({ status: 'running', limit: String(MAX_BATCH_GAUGES) }, runs.taskQueue))
        .catch(() => []);
      const progress = await Promise.all(batches.map((b) => progressOf(runs, b.workflowId)));
      this.reset();
      batches.forEach(({ workflowId }, i) => {
        const p = progress[i];
        if (!p) return;
        const batch = workflowId.slice(PREFIX.length);
        this.set({ batch, state: 'done' }, p.done);
        this.set({ batch, state: 'pending' }, p.pending);
      });
    },
  });
}

function progressOf(runs: Runs, workflowId: string): Promise<BatchProgress | undefined> {
  return runs.client.connection
    .withDeadline(Date.now() + QUERY_DEADLINE_MS, () => runs.readBatch(workflowId.slice(PREFIX.length)))
    .then((batch) => batch.progress)
    .catch(() => undefined);
}
