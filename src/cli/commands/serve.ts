// `superscript worker` and `superscript api`: the production split, against any Temporal cluster.
import { apiAccess } from '../../api/access.js';
import { temporalTarget } from '../../config/temporal-connection.js';
import type { Context } from '../context.js';
import { serveApi, serveWorker } from '../serve.js';
import { stopOnSignals } from '../shutdown.js';

export async function worker(ctx: Context): Promise<void> {
  const step = await serveWorker(ctx, temporalTarget());
  await stopOnSignals(ctx.log, [step]);
}

export async function api(ctx: Context): Promise<void> {
  // Refused before anything connects when it would be open beyond loopback.
  const access = apiAccess(ctx.settings.apiHost, ctx.settings.tokensFile);
  const step = await serveApi(ctx, temporalTarget(), access);
  ctx.log.info({ url: step.url }, 'api listening');
  await stopOnSignals(ctx.log, [step]);
}
