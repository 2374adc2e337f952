// `superscript dev`: the embedded default. Temporal dev server, worker and HTTP API in one process tree.
import path from 'node:path';
import { connectClient, temporalTarget } from '../../config/temporal-connection.js';
import { setRetentionDays } from '../../runs/retention.js';
import type { Context } from '../context.js';
import { serveApi, serveDevServer, serveWorker } from '../serve.js';
import { stopOnSignals } from '../shutdown.js';

/** The embedded server's namespace starts with one day; keys should be remembered longer. */
const DEV_RETENTION_DAYS = 30;

export async function dev(ctx: Context): Promise<void> {
  const { settings, log } = ctx;
  const temporal = await serveDevServer(ctx);
  const target = temporalTarget(temporal.server.address);
  const admin = await connectClient(target);
  await setRetentionDays(admin, DEV_RETENTION_DAYS);
  await admin.connection.close();
  const worker = await serveWorker(ctx, target);
  const api = await serveApi(ctx, target);

  const db = settings.durability === 'memory' ? 'in memory' : path.join(settings.dataDir, 'temporal.sqlite');
  process.stdout.write(
    [
      'SuperScript dev is running',
      `  API       ${api.url}`,
      `  Temporal  ${temporal.server.address} (namespace ${target.namespace}, keys kept ${DEV_RETENTION_DAYS} days)`,
      `  Web UI    ${temporal.server.uiUrl ?? '(headless)'}`,
      `  Data      ${settings.dataDir} (state ${db}, durability ${settings.durability})`,
      `  Scripts   ${ctx.registry.names().join(', ')} from ${settings.registryFile}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  log.info({ api: api.url, temporal: temporal.server.address }, 'dev ready');
  await stopOnSignals(log, [api, worker, temporal]);
}
