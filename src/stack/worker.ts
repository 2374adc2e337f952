// A worker of the registry's scripts in this process, on a stack's connection and key store, with the
// dispatcher that delivers the installation's notifications, the watch that notices skipped and missed
// schedule fires, and a worker's own GET /metrics: what `superscript worker` and `dev` run.
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { connectWorker, type TemporalTarget } from '../config/temporal-connection.js';
import { TokenStore } from '../config/tokens.js';
import type { KeyStore } from '../keystore/store.js';
import { serveMetrics } from '../metrics/metrics-server.js';
import { Dispatcher, notifySecrets } from '../notify/dispatcher.js';
import { ScheduleWatch } from '../notify/schedule-watch.js';
import { checkRetention } from '../runs/retention.js';
import { RunService } from '../runs/service.js';
import { ScheduleService } from '../schedules/service.js';
import { createWorker } from '../worker/worker.js';
import type { StackContext } from './context.js';
import { listening } from './listening.js';
import { once, type StopStep } from './steps.js';

export interface WorkerParts {
  target: TemporalTarget;
  /** The stack's client and key store, which the worker shares and does not close. */
  client: Client;
  keys: KeyStore;
  /** A worker that fails on its own (not by our stop): `superscript worker` and `dev` stop the process. */
  onFailure?: (err: unknown) => void;
  /** How often the schedules' skipped and missed fires are read (tests shorten it). Default: 15 s. */
  scheduleWatchMs?: number;
}

/** A running worker; its stop drains it and closes its own connection, once however often it is called. */
export interface ServedWorker extends StopStep {
  connection: NativeConnection;
}

export async function serveWorker(ctx: StackContext, parts: WorkerParts): Promise<ServedWorker> {
  const { settings, registry, log } = ctx;
  // A notification target without its signing key is refused before anything connects.
  const dispatcher = new Dispatcher({
    keys: parts.keys,
    targets: registry.notify,
    secrets: notifySecrets(registry.notify),
    publicUrl: settings.publicUrl,
    log,
  });
  // Workers notice skipped and missed fires, not the API: they deliver, and run while the API may be down.
  const watch = new ScheduleWatch({
    keys: parts.keys,
    schedules: new ScheduleService(
      new RunService({ client: parts.client, taskQueue: settings.taskQueue, keys: parts.keys, registry }),
    ),
    log,
    everyMs: parts.scheduleWatchMs,
  });
  const connection = await connectWorker(parts.target);
  let worker;
  try {
    await checkRetention(parts.client, settings.minRetentionDays, log);
    worker = await createWorker({
      keyStore: parts.keys,
      requireReservation: settings.requireReservation,
      connection,
      client: parts.client,
      namespace: parts.target.namespace,
      taskQueue: settings.taskQueue,
      registry,
      dataDir: settings.dataDir,
      shutdownGraceMs: settings.shutdownGraceMs,
      tokens: settings.tokensFile ? new TokenStore(settings.tokensFile) : undefined,
      log,
    });
  } catch (err) {
    await connection.close();
    throw err;
  }
  const running = worker.run();
  const pruning = prunePeriodically(ctx, parts.keys);
  dispatcher.start();
  watch.start();
  running.catch((err: unknown) => {
    log.fatal({ err }, 'worker failed');
    parts.onFailure?.(err);
  });
  log.info({ taskQueue: settings.taskQueue, scripts: registry.names() }, 'worker running');
  return {
    name: 'worker',
    connection,
    stop: once(async () => {
      clearInterval(pruning);
      worker.shutdown();
      await Promise.all([running, dispatcher.stop(), watch.stop()]);
      await connection.close();
    }),
  };
}

/** How often a worker removes keys past SUPERSCRIPT_KEY_RETENTION_DAYS (every worker may; it is idempotent). */
const PRUNE_EVERY_MS = 60 * 60_000;

function prunePeriodically(ctx: StackContext, keys: KeyStore): NodeJS.Timeout | undefined {
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
export async function serveWorkerMetrics(
  ctx: StackContext,
  port: number,
): Promise<StopStep & { url: string }> {
  const host = ctx.settings.metricsHost;
  const server = await listening(serveMetrics(host, port, ctx.sdkMetricsUrl), {
    host,
    port,
    how: '--metrics-port or SUPERSCRIPT_METRICS_PORT',
  });
  return { name: 'metrics', url: server.url, stop: server.close };
}
