// The long-running parts, each returning how to stop it: a worker, the HTTP API, the embedded server.
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { ApiAccess } from '../api/access.js';
import { buildApi } from '../api/server.js';
import { connectClient, connectWorker, type TemporalTarget } from '../config/temporal-connection.js';
import { DevServer } from '../devserver/dev-server.js';
import { ConfigError } from '../errors.js';
import { ensureTemporalCli } from '../devserver/temporal-cli.js';
import { serveMetrics } from '../metrics/metrics-server.js';
import { Runs } from '../runs/runs.js';
import { checkRetention } from '../runs/retention.js';
import { createWorker } from '../worker/worker.js';
import type { Context } from './context.js';
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

/** How the API is reached (apiAccess, decided before anything connects), and whether dev routes exist. */
export interface ServeApiOptions extends ApiAccess {
  traditionalRoute?: boolean;
  /** Temporal's Web UI when SUPERSCRIPT_TEMPORAL_UI_URL does not name one (the dev server's own). */
  temporalUiUrl?: string;
  /**
   * The connection of a worker in this process on the same task queue (`dev`): runs are then started with
   * eager workflow start through it (see RunsOptions). Stop the API before that worker.
   */
  localWorker?: NativeConnection;
}

export async function serveApi(
  ctx: Context,
  target: TemporalTarget,
  { localWorker, ...options }: ServeApiOptions,
): Promise<StopStep & { url: string }> {
  if (!options.tokens) {
    ctx.log.warn(
      { host: ctx.settings.apiHost },
      'the API is open (no SUPERSCRIPT_TOKENS_FILE): anyone who can connect to it on this machine can start, retry and cancel runs; set SUPERSCRIPT_TOKENS_FILE and create tokens with `superscript token create` to require tokens',
    );
  }
  const client = await connectClient(target);
  const eagerStarter = localWorker && new Client({ connection: localWorker, namespace: target.namespace });
  const app = buildApi({
    runs: new Runs(client, ctx.settings.taskQueue, { eagerStarter }),
    registry: ctx.registry,
    dataDir: ctx.settings.dataDir,
    waitMs: ctx.settings.waitMs,
    maxWaits: ctx.settings.maxWaits,
    logLevel: ctx.settings.logLevel,
    sdkMetricsUrl: ctx.sdkMetricsUrl,
    ...options,
    temporalUiUrl: ctx.settings.temporalUiUrl ?? options.temporalUiUrl,
  });
  let url: string;
  try {
    url = await listening(app.listen({ host: ctx.settings.apiHost, port: ctx.settings.apiPort }), {
      host: ctx.settings.apiHost,
      port: ctx.settings.apiPort,
      how: '--port or SUPERSCRIPT_API_PORT',
    });
  } catch (err) {
    await client.connection.close();
    throw err;
  }
  return {
    name: 'api',
    url,
    stop: async () => {
      await app.close();
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

/** A port already taken is the operator's to fix: say which setting chooses another. */
async function listening<T>(
  listen: Promise<T>,
  where: { host: string; port: number; how: string },
): Promise<T> {
  try {
    return await listen;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new ConfigError(`Port ${where.port} on ${where.host} is in use; choose another with ${where.how}.`);
  }
}

export async function serveDevServer(ctx: Context): Promise<StopStep & { server: DevServer }> {
  const cliPath = await ensureTemporalCli({
    explicitPath: ctx.settings.temporalCliPath,
    log: (l) => ctx.log.info(l),
  });
  const server = await DevServer.start({
    cliPath,
    port: ctx.settings.temporalPort,
    uiPort: ctx.settings.uiPort,
    dbFile: path.join(ctx.settings.dataDir, 'temporal.sqlite'),
    durability: ctx.settings.durability,
    extraArgs: ctx.settings.devServerArgs,
  });
  return { name: 'temporal dev server', server, stop: () => server.stop() };
}
