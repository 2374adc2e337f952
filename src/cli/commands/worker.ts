// `superscript worker`: the production worker, against any Temporal cluster.
import { temporalTarget } from '../../config/temporal-connection.js';
import type { Context } from '../context.js';
import { serveWorker, serveWorkerMetrics } from '../serve-worker.js';
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
