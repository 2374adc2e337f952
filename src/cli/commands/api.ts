// `superscript api`: the production HTTP API, against any Temporal cluster.
import { apiAccess } from '../../api/access.js';
import { temporalTarget } from '../../config/temporal-connection.js';
import type { Context } from '../context.js';
import { serveApi } from '../serve-api.js';
import { stopOnSignals } from '../shutdown.js';

export async function api(ctx: Context): Promise<void> {
  // Refused before anything connects when it would be open beyond loopback.
  const access = apiAccess(ctx.settings.apiHost, ctx.settings.tokensFile);
  const step = await serveApi(ctx, temporalTarget(), access);
  ctx.log.info({ url: step.url }, 'api listening');
  await stopOnSignals(ctx.log, [step]);
}
