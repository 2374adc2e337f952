// The long-running parts, each returning how to stop it: a worker, the HTTP API, the embedded server.
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { buildApi } from '../api/server.js';
import { connectClient, connectWorker, type TemporalTarget } from '../config/temporal-connection.js';
import { DevServer } from '../devserver/dev-server.js';
import { ConfigError } from '../errors.js';
import { ensureTemporalCli } from '../devserver/temporal-cli.js';
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

/**
 * The API. `localWorker` is the connection of a worker in this process on the same task queue (`dev`): runs
 * are then started with eager workflow start through it (see RunsOptions). Stop the API before that worker.
 */
export async function serveApi(
  ctx: Context,
  target: TemporalTarget,
  localWorker?: NativeConnection,
): Promise<StopStep & { url: string }> {
  const client = await connectClient(target);
  const eagerStarter = localWorker && new Client({ connection: localWorker, namespace: target.namespace });
  const app = buildApi({
    runs: new Runs(client, ctx.settings.taskQueue, { eagerStarter }),
    registry: ctx.registry,
    dataDir: ctx.settings.dataDir,
    waitMs: ctx.settings.waitMs,
    maxWaits: ctx.settings.maxWaits,
    logLevel: ctx.settings.logLevel,
  });
  let url: string;
  try {
    url = await app.listen({ host: ctx.settings.apiHost, port: ctx.settings.apiPort });
  } catch (err) {
    await client.connection.close();
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new ConfigError(
      `Port ${ctx.settings.apiPort} on ${ctx.settings.apiHost} is in use; choose another with --port or SUPERSCRIPT_API_PORT.`,
    );
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
