// The run metrics the workflows emit through the SDK's Runtime: their names, help and histogram buckets.

/**
 * The metrics the run workflows emit through the SDK Runtime (see run-metrics.ts); the Runtime's exporter
 * gives the duration histogram its buckets, and each worker starts the outcome_unknown count at 0.
 */
export const RunMetrics = {
  runs: { name: 'superscript_runs_total', help: 'Runs that ended, by script and outcome.' },
  outcomeUnknown: {
    name: 'superscript_outcome_unknown_total',
    help: 'Runs whose script may or may not have done its work.',
  },
  duration: { name: 'superscript_run_duration_seconds', help: 'How long scripts ran, from spawn to exit.' },
} as const;

/** Seconds: from a quick script (a bash spawn takes milliseconds) to the longest timeout people set. */
export const RUN_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
