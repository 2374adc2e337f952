// `superscript dev`: the embedded default. Temporal dev server, worker and HTTP API in one process tree.
import path from 'node:path';
import { apiAccess } from '../../api/access.js';
import { connectClient, temporalTarget } from '../../config/temporal-connection.js';
import type { DevServer } from '../../devserver/dev-server.js';
import { setRetentionDays } from '../../runs/retention.js';
import type { Context } from '../context.js';
import { announceEmbedded, openKeys } from '../key-store.js';
import { serveApi } from '../serve-api.js';
import { serveDevServer } from '../serve-dev-server.js';
import { serveWorker } from '../serve-worker.js';
import { stopOnSignals, type StopStep } from '../shutdown.js';

/** The embedded server's namespace starts with one day; keys should be remembered longer. */
const DEV_RETENTION_DAYS = 30;

export async function dev(ctx: Context): Promise<void> {
  const { settings, log } = ctx;
  // Refused before the server starts when the API would be open beyond loopback.
  const access = apiAccess(settings.apiHost, settings.tokensFile);
  // In start order; stopped in reverse (API, then worker, then server), also when start-up fails midway.
  const started: StopStep[] = [];
  let server: DevServer;
  let apiUrl: string;
  try {
    const temporal = await serveDevServer(ctx);
    started.push(temporal);
    server = temporal.server;
    const target = temporalTarget(server.address);
    const admin = await connectClient(target);
    await setRetentionDays(admin, DEV_RETENTION_DAYS);
    // The worker and API of this process share one key store: the data folder's own file.
    const keys = await openKeys(ctx, target, admin, true).finally(() => admin.connection.close());
    started.push({ name: 'key store', stop: () => keys.close() });
    // Processes beside this one (`exec`, a `superscript worker`) may use it too, while this server runs.
    const withdraw = announceEmbedded(settings.dataDir, server.address);
    started.push({ name: 'embedded marker', stop: async () => withdraw() });
    const worker = await serveWorker(ctx, target, keys);
    started.push(worker);
    // The demonstration route (no idempotency) exists here only, never in `superscript api`.
    const api = await serveApi(ctx, target, {
      ...access,
      traditionalRoute: true,
      temporalUiUrl: server.uiUrl,
      localWorker: worker.connection,
      keys,
    });
    started.push(api);
    apiUrl = api.url;
  } catch (err) {
    // No orphaned server holding ports and files after a failed start.
    for (const step of started.reverse()) await step.stop().catch(() => {});
    throw err;
  }

  const db = settings.durability === 'memory' ? 'in memory' : path.join(settings.dataDir, 'temporal.sqlite');
  process.stdout.write(
    [
      'SuperScript dev is running',
      `  API          ${apiUrl}`,
      `  Web UI       ${apiUrl}/`,
      `  Temporal     ${server.address} (namespace default, run histories kept ${DEV_RETENTION_DAYS} days)`,
      `  Temporal UI  ${server.uiUrl ?? '(headless)'}`,
      `  Data         ${settings.dataDir} (state ${db}, durability ${settings.durability})`,
      `  Scripts      ${ctx.registry.names().join(', ')} from ${settings.registryFile}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  log.info({ api: apiUrl, temporal: server.address }, 'dev ready');
  await stopOnSignals(log, started.reverse());
}
