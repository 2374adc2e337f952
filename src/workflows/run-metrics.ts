// Every run's outcome, counted by the workflow that decides it.
//
// Why in the workflow: it is the one place that sees every outcome. A script whose worker dies is never
// reported by an activity; its run becomes outcome_unknown after the heartbeat timeout, decided by this code
// on whichever worker takes the workflow next. The workflow's metricMeter emits only when the code is not
// replaying, so a run is counted when its outcome is decided and not again when its history is replayed
// (cache eviction, another worker, a query). Emitted through the SDK Runtime, on the exporter of the worker
// process that decided the outcome, with the SDK's tags (namespace, taskQueue, workflowType) beside ours.
// It can count twice in one narrow case: a worker that dies after deciding but before the server took its
// workflow task leaves that step to be decided, and counted, again. And like any per-process counter, what
// a worker counted since its last scrape goes with it if it dies.
import { metricMeter } from '@temporalio/workflow';
import { RunMetrics } from '../shared/metrics.js';
import type { Outcome } from '../shared/schemas/runs.js';

/** `durationMs` when the worker that ran the script measured it; a run decided after its worker died has none. */
export function countRun(script: string, outcome: Outcome, durationMs: number | undefined): void {
  const { runs, outcomeUnknown, duration } = RunMetrics;
  metricMeter.createCounter(runs.name, undefined, runs.help).add(1, { script, outcome });
  if (outcome === 'outcome_unknown') {
    metricMeter.createCounter(outcomeUnknown.name, undefined, outcomeUnknown.help).add(1, { script });
  }
  if (durationMs !== undefined) {
    metricMeter
      .createHistogram(duration.name, 'float', 's', duration.help)
      .record(durationMs / 1000, { script });
  }
}
