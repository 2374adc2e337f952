// `superscript dev`: the embedded default. Temporal dev server, worker and HTTP API in one process tree.
import path from 'node:path';
import { apiAccess } from '../../api/access.js';
import { ensureTemporalCli } from '../../devserver/temporal-cli.js';
import { startStack } from '../../stack/stack.js';
import { EmbeddedTemporal } from '../../stack/temporal.js';
import type { Context } from '../context.js';
import { stopOnSignals, stopThisProcess } from '../shutdown.js';

/** The embedded server's namespace starts with one day; keys should be remembered longer. */
const DEV_RETENTION_DAYS = 30;

export async function dev(ctx: Context): Promise<void> {
  const { settings, log } = ctx;
  // Refused before the server starts when the API would be open beyond loopback.
  const access = apiAccess(settings.apiHost, settings.tokensFile);
  const temporal = await EmbeddedTemporal.start({
    cliPath: await ensureTemporalCli({ explicitPath: settings.temporalCliPath, log: (l) => log.info(l) }),
    port: settings.temporalPort,
    uiPort: settings.uiPort,
    dbFile: path.join(settings.dataDir, 'temporal.sqlite'),
    durability: settings.durability,
    extraArgs: settings.devServerArgs,
    retentionDays: DEV_RETENTION_DAYS,
  });
  // The worker and API share the data folder's key store, and runs start eagerly through the worker's
  // connection. The demonstration route (no idempotency) exists here only, never in `superscript api`.
  const stack = await startStack(ctx, {
    temporal,
    eager: true,
    onWorkerFailure: stopThisProcess,
    temporalUiUrl: temporal.uiUrl,
    api: { ...access, traditionalRoute: true },
  });
  const apiUrl = stack.api!.url;

  const db = settings.durability === 'memory' ? 'in memory' : path.join(settings.dataDir, 'temporal.sqlite');
  process.stdout.write(
    [
      'SuperScript dev is running',
      `  API          ${apiUrl}`,
      `  Web UI       ${apiUrl}/`,
      `  Temporal     ${temporal.address} (namespace default, run histories kept ${DEV_RETENTION_DAYS} days)`,
      `  Temporal UI  ${temporal.uiUrl ?? '(headless)'}`,
      `  Data         ${settings.dataDir} (state ${db}, durability ${settings.durability})`,
      `  Scripts      ${ctx.registry.names().join(', ')} from ${settings.registryFile}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  log.info({ api: apiUrl, temporal: temporal.address }, 'dev ready');
  await stopOnSignals(log, stack.steps());
}
