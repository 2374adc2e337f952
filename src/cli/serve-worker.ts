// A worker of the registry's scripts, and its own GET /metrics: what `superscript worker` and `dev` run.
import type { NativeConnection } from '@temporalio/worker';
import { connectClient, connectWorker, type TemporalTarget } from '../config/temporal-connection.js';
import { serveMetrics } from '../metrics/metrics-server.js';
import { checkRetention } from '../runs/retention.js';
import type { KeyStore } from '../keystore/store.js';
import { createWorker } from '../worker/worker.js';
import type { Context } from './context.js';
import { openKeys } from './key-store.js';
import { listening } from './listening.js';
import type { StopStep } from './shutdown.js';

/** `keys`: a key store this process shares (`dev`); otherwise the worker opens (and closes) its own. */
export async function serveWorker(
  ctx: Context,
  target: TemporalTarget,
  keys?: KeyStore,
): Promise<StopStep & { connection: NativeConnection }> {
  const [connection, client] = await Promise.all([connectWorker(target), connectClient(target)]);
  let keyStore: KeyStore;
  try {
    keyStore = keys ?? (await openKeys(ctx, target, client));
  } catch (err) {
    await Promise.all([connection.close(), client.connection.close()]);
    throw err;
  }
  await checkRetention(client, ctx.settings.minRetentionDays, ctx.log);
  const worker = await createWorker({
    keyStore,
    requireReservation: ctx.settings.requireReservation,
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
  const pruning = prunePeriodically(ctx, keyStore);
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
      clearInterval(pruning);
      worker.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
      if (!keys) await keyStore.close();
    },
  };
}

/** How often a worker removes keys past SUPERSCRIPT_KEY_RETENTION_DAYS (every worker may; it is idempotent). */
const PRUNE_EVERY_MS = 60 * 60_000;

function prunePeriodically(ctx: Context, keys: KeyStore): NodeJS.Timeout | undefined {
  const days = ctx.settings.keyRetentionDays;
  if (days === undefined) return undefined;
  const prune = () =>
    keys.prune(new Date(Date.now() - days * 86_400_000).toISOString()).then(
      (removed) => removed > 0 && ctx.log.info({ removed, keyRetentionDays: days }, 'pruned old keys'),
      (err: unknown) => ctx.log.warn({ err }, 'could not prune old keys; trying again later'),
    );
  void prune();
  return setInterval(() => void prune(), PRUNE_EVERY_MS).unref();
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
