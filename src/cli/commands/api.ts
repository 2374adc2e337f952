// `superscript api`: the production HTTP API, against any Temporal cluster.
import { apiAccess } from '../../api/access.js';
import { startStack } from '../../stack/stack.js';
import { externalTemporal } from '../../stack/temporal.js';
import type { Context } from '../context.js';
import { stopOnSignals } from '../shutdown.js';

export async function api(ctx: Context): Promise<void> {
  // Refused before anything connects when it would be open beyond loopback.
  const access = apiAccess(ctx.settings.apiHost, ctx.settings.tokensFile);
  const stack = await startStack(ctx, { temporal: externalTemporal(), workers: 0, api: access });
  ctx.log.info({ url: stack.api?.url }, 'api listening');
  await stopOnSignals(ctx.log, stack.steps());
}
