// The embedded Temporal dev server that `superscript dev` starts, with its state in the data folder.
import path from 'node:path';
import { DevServer } from '../devserver/dev-server.js';
import { ensureTemporalCli } from '../devserver/temporal-cli.js';
import type { Context } from './context.js';
import type { StopStep } from './shutdown.js';

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
