// The Temporal SDK's Runtime, installed once per process before any worker connects. In a process that hosts
// a worker and serves /metrics, the Runtime's own Prometheus exporter listens on a private loopback port;
// SuperScript's /metrics fetches it and appends it (see exposition.ts), so one scrape target has both.
import { Runtime, type Logger } from '@temporalio/worker';
import { freePort } from '../devserver/free-port.js';
import { RUN_DURATION_BUCKETS, RunMetrics } from '../shared/metrics.js';

/**
 * Installs the Runtime with `logger`; with `metrics`, also its exporter (the SDK's `temporal_*` series and
 * the runs the workflows count, see run-metrics.ts). Returns the exporter's URL, if any.
 */
export async function installSdkRuntime(logger: Logger, metrics: boolean): Promise<string | undefined> {
  const bindAddress = metrics ? `127.0.0.1:${await freePort()}` : undefined;
  Runtime.install({
    // SuperScript handles SIGINT/SIGTERM itself (stopOnSignals), in order: API, then worker, then server.
    shutdownSignals: [],
    logger,
    ...(bindAddress && {
      telemetryOptions: {
        metrics: {
          prometheus: {
            bindAddress,
            // The SDK's default buckets are for milliseconds; run durations are recorded in seconds.
            histogramBucketOverrides: { [RunMetrics.duration.name]: RUN_DURATION_BUCKETS },
          },
        },
      },
    }),
  });
  return bindAddress && `http://${bindAddress}/metrics`;
}
