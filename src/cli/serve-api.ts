// The HTTP API against a Temporal target: what `superscript api` and `dev` serve.
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { ApiAccess } from '../api/access.js';
import { buildApi } from '../api/server.js';
import { connectClient, type TemporalTarget } from '../config/temporal-connection.js';
import type { KeyStore } from '../keystore/store.js';
import { RunService } from '../runs/service.js';
import type { Context } from './context.js';
import { openKeys } from './key-store.js';
import { listening } from './listening.js';
import type { StopStep } from './shutdown.js';

/** How the API is reached (apiAccess, decided before anything connects), and whether dev routes exist. */
export interface ServeApiOptions extends ApiAccess {
  traditionalRoute?: boolean;
  /** Temporal's Web UI when SUPERSCRIPT_TEMPORAL_UI_URL does not name one (the dev server's own). */
  temporalUiUrl?: string;
  /**
   * The connection of a worker in this process on the same task queue (`dev`): runs are then started with
   * eager workflow start through it (see RunServiceOptions). Stop the API before that worker.
   */
  localWorker?: NativeConnection;
  /** A key store this process shares (`dev`); otherwise the API opens (and closes) its own. */
  keys?: KeyStore;
}

export async function serveApi(
  ctx: Context,
  target: TemporalTarget,
  { localWorker, keys, ...options }: ServeApiOptions,
): Promise<StopStep & { url: string }> {
  if (!options.tokens) {
    ctx.log.warn(
      { host: ctx.settings.apiHost },
      'the API is open (no SUPERSCRIPT_TOKENS_FILE): anyone who can connect to it on this machine can start, retry and cancel runs; set SUPERSCRIPT_TOKENS_FILE and create tokens with `superscript token create` to require tokens',
    );
  }
  const client = await connectClient(target);
  let keyStore: KeyStore;
  try {
    keyStore = keys ?? (await openKeys(ctx, target, client));
  } catch (err) {
    await client.connection.close();
    throw err;
  }
  const eagerStarter = localWorker && new Client({ connection: localWorker, namespace: target.namespace });
  const { temporalUiUrl, ...access } = options;
  const app = buildApi({
    runs: new RunService({
      client,
      taskQueue: ctx.settings.taskQueue,
      keys: keyStore,
      registry: ctx.registry,
      eagerStarter,
      keyRetentionDays: ctx.settings.keyRetentionDays,
      temporalUiUrl: ctx.settings.temporalUiUrl ?? temporalUiUrl,
    }),
    dataDir: ctx.settings.dataDir,
    waitMs: ctx.settings.waitMs,
    maxWaits: ctx.settings.maxWaits,
    logLevel: ctx.settings.logLevel,
    sdkMetricsUrl: ctx.sdkMetricsUrl,
    ...access,
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
    if (!keys) await keyStore.close();
    throw err;
  }
  return {
    name: 'api',
    url,
    stop: async () => {
      await app.close();
      await client.connection.close();
      if (!keys) await keyStore.close();
    },
  };
}
