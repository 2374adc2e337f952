// A worker of the registry's scripts, and its own GET /metrics: what `superscript worker` and `dev` run.
import type { NativeConnection } from '@temporalio/worker';
import { connectClient, connectWorker, type TemporalTarget } from '../config/temporal-connection.js';
import { serveMetrics } from '../metrics/metrics-server.js';
import { checkRetention } from '../runs/retention.js';
import { createWorker } from '../worker/worker.js';
import type { Context } from './context.js';
import { listening } from './listening.js';
import type { StopStep } from './shutdown.js';

export async function serveWorker(
  ctx: Context,
  target: TemporalTarget,
): Promise<StopStep & { connection: NativeConnection }> {
  const [connection, client] = await Promise.all([connectWorker(target), connectClient(target)]);
  await checkRetention(client, ctx.settings.minRetentionDays, ctx.log);
  const worker = await createWorker({
    connection,
    client,
    namespace: target.namespace,
    taskQueue: ctx.settings.taskQueue,
    registry: ctx.registry,
    dataDir: ctx.settings.dataDir,
    shutdownGraceMs: ctx.settings.shutdownGraceMs,
    log: ctx.log,
  });
  const running = worker.run();
  running.catch((err: unknown) => {
    // A worker that fails on its own (not by our stop) takes the process down in order, with a non-zero code.
    ctx.log.fatal({ err }, 'worker failed; shutting down');
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  });
  ctx.log.info({ taskQueue: ctx.settings.taskQueue, scripts: ctx.registry.names() }, 'worker running');
  return {
    name: 'worker',
    connection,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
    },
  };
}

/** A worker's GET /metrics, when it has a metrics port (`--metrics-port`, SUPERSCRIPT_METRICS_PORT). */
export async function serveWorkerMetrics(ctx: Context, port: number): Promise<StopStep & { url: string }> {
  const host = ctx.settings.metricsHost;
  const server = await listening(serveMetrics(host, port, ctx.sdkMetricsUrl), {
    host,
    port,
    how: '--metrics-port or SUPERSCRIPT_METRICS_PORT',
  });
  return { name: 'metrics', url: server.url, stop: server.close };
}
