// `superscript worker`: the production worker, against any Temporal cluster.
import { startStack } from '../../stack/stack.js';
import { externalTemporal } from '../../stack/temporal.js';
import type { Context } from '../context.js';
import { stopOnSignals, stopThisProcess } from '../shutdown.js';

export async function worker(ctx: Context): Promise<void> {
  const stack = await startStack(ctx, {
    temporal: externalTemporal(),
    metricsPort: ctx.settings.metricsPort,
    onWorkerFailure: stopThisProcess,
  });
  if (stack.metricsUrl) ctx.log.info({ url: stack.metricsUrl }, 'metrics served');
  await stopOnSignals(ctx.log, stack.steps());
}
