// `superscript worker` and `superscript api`: the production split, against any Temporal cluster.
import { apiAccess } from '../../api/access.js';
import { temporalTarget } from '../../config/temporal-connection.js';
import type { Context } from '../context.js';
import { serveApi, serveWorker, serveWorkerMetrics } from '../serve.js';
import { stopOnSignals } from '../shutdown.js';

export async function worker(ctx: Context): Promise<void> {
  const { metricsPort } = ctx.settings;
  // Metrics first, so a port in use fails before the worker takes any run; stopped last, so a scrape still
  // sees the worker drain.
  const metrics = metricsPort === undefined ? undefined : await serveWorkerMetrics(ctx, metricsPort);
  let step;
  try {
    step = await serveWorker(ctx, temporalTarget());
  } catch (err) {
    await metrics?.stop();
    throw err;
  }
  if (metrics) ctx.log.info({ url: metrics.url }, 'metrics served');
  await stopOnSignals(ctx.log, metrics ? [step, metrics] : [step]);
}

export async function api(ctx: Context): Promise<void> {
  // Refused before anything connects when it would be open beyond loopback.
  const access = apiAccess(ctx.settings.apiHost, ctx.settings.tokensFile);
  const step = await serveApi(ctx, temporalTarget(), access);
  ctx.log.info({ url: step.url }, 'api listening');
  await stopOnSignals(ctx.log, [step]);
}
