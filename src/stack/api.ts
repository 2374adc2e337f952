// The HTTP API in this process, over a stack's runs: what `superscript api` and `dev` serve; it first makes Temporal
// hold the schedules the config file declares.
import type { FastifyInstance } from 'fastify';
import type { ApiAccess } from '../api/access.js';
import { buildApi, type ApiOptions } from '../api/server.js';
import { ConfigError } from '../errors.js';
import type { RunService } from '../runs/service.js';
import { ScheduleService } from '../schedules/service.js';
import type { StackContext } from './context.js';
import { listening } from './listening.js';
import type { StopStep } from './steps.js';

/**
 * How the API is reached (apiAccess, decided before anything connects), and what only some stacks serve:
 * the demonstration route (`dev`) and a clock for the batch gauges (tests).
 */
export interface ApiSpec extends ApiAccess, Pick<ApiOptions, 'traditionalRoute' | 'batchGauges'> {
  /** The listening socket's accept queue; the bench's dedup storm opens hundreds of connections at once. */
  backlog?: number;
}

export interface ServedApi extends StopStep {
  url: string;
  app: FastifyInstance;
}

/** Listens on SUPERSCRIPT_API_HOST and SUPERSCRIPT_API_PORT (0: a free port, named in `url`). */
export async function serveApi(ctx: StackContext, runs: RunService, spec: ApiSpec): Promise<ServedApi> {
  const { settings } = ctx;
  const { backlog, ...options } = spec;
  if (!options.tokens) {
    ctx.log.warn(
      { host: settings.apiHost },
      'the API is open (no SUPERSCRIPT_TOKENS_FILE): anyone who can connect to it on this machine can start, retry and cancel runs; set SUPERSCRIPT_TOKENS_FILE and create tokens with `superscript token create` to require tokens',
    );
  }
  await declareSchedules(ctx, runs);
  const app = buildApi({
    runs,
    dataDir: settings.dataDir,
    waitMs: settings.waitMs,
    maxWaits: settings.maxWaits,
    logLevel: settings.logLevel,
    sdkMetricsUrl: ctx.sdkMetricsUrl,
    ...options,
  });
  let url: string;
  try {
    url = await listening(app.listen({ host: settings.apiHost, port: settings.apiPort, backlog }), {
      host: settings.apiHost,
      port: settings.apiPort,
      how: '--port or SUPERSCRIPT_API_PORT',
    });
  } catch (err) {
    await app.close();
    throw err;
  }
  return { name: 'api', url, app, stop: () => app.close() };
}

/**
 * The schedules the config file declares, made so in Temporal before the API answers. A declaration that is
 * wrong stops the start (like a bad registry); Temporal unreachable does not: they are applied at the next
 * start, and the schedules Temporal already holds go on firing meanwhile.
 */
async function declareSchedules(ctx: StackContext, runs: RunService): Promise<void> {
  const declared = ctx.registry.schedules;
  if (declared.length === 0) return;
  try {
    await new ScheduleService(runs).declare(declared);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    ctx.log.error(
      { err },
      'could not apply the schedules the config file declares; they are applied at the next start',
    );
  }
}
