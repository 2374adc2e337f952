// The HTTP API: JSON in and out. Every route validates its input fully before it starts anything.
import Fastify, { errorCodes, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Registry } from 'prom-client';
import type { TokenStore } from '../config/tokens.js';
import { metricsRoute, processRegistry } from '../metrics/exposition.js';
import { ScheduleService } from '../schedules/service.js';
import { KEY_MAX_LENGTH, MAX_WAIT_MS } from '../shared/schemas/runs.js';
import { installAuth } from './auth.js';
import { batchGauges, type BatchGaugeOptions } from './batch-gauges.js';
import { scheduleCounts } from './schedule-counts.js';
import type { ApiDeps } from './deps.js';
import { sendError } from './errors.js';
import { requireJsonPosts, requireLocalHost } from './guards.js';
import { BODY_LIMIT, DRAIN_LIMIT } from './limits.js';
import { refuseOtherMethods } from './methods.js';
import { installOpenApi } from './openapi.js';
import { RequestMetrics } from './request-metrics.js';
import { batchRoutes } from './routes/batches.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { notificationRoutes } from './routes/notifications.js';
import { paymentRoutes } from './routes/payments.js';
import { runRoutes } from './routes/runs.js';
import { scheduleRoutes } from './routes/schedules.js';
import { scriptRoutes } from './routes/scripts.js';
import { RequestJournal } from './request-journal.js';
import { uiRoutes } from './routes/ui.js';
import { whoamiRoutes } from './routes/whoami.js';
import { bindRunLog } from './run-log.js';
import { WaitGate } from './wait.js';

export interface ApiOptions extends Omit<ApiDeps, 'waits' | 'schedules'> {
  /** Requests that may wait for a result at once; past it, 503. Default: 1000. */
  maxWaits?: number;
  /** pino level; `silent` for tests. Default: info. */
  logLevel?: string;
  /**
   * The SDK Runtime's Prometheus exporter of a worker in this process (`superscript dev`), whose series
   * GET /metrics appends to the API's own. Default: none.
   */
  sdkMetricsUrl?: string;
  /** Bearer tokens and their scopes; without them the API is open (allowed on loopback only: access.ts). */
  tokens?: TokenStore;
  /** Answer only requests whose Host is localhost, 127.0.0.1 or [::1]: for an API bound to loopback. */
  localHostOnly?: boolean;
  /** How often the batch gauges are computed; tests bring their own clock. Default: every 15 s at most. */
  batchGauges?: BatchGaugeOptions;
}

const { FST_ERR_CTP_BODY_TOO_LARGE } = errorCodes;

export function buildApi(options: ApiOptions): FastifyInstance {
  const {
    maxWaits = 1000,
    logLevel = 'info',
    sdkMetricsUrl,
    tokens,
    localHostOnly,
    batchGauges: gaugeOptions,
    ...rest
  } = options;
  const deps: ApiDeps = { ...rest, waits: new WaitGate(maxWaits), schedules: new ScheduleService(rest.runs) };
  const app = Fastify({
    logger: { level: logLevel },
    bodyLimit: BODY_LIMIT,
    // A client gets 30 s to send its request (slow-loris), and a connection may sit silent as long as the
    // longest wait for a result.
    requestTimeout: 30_000,
    connectionTimeout: MAX_WAIT_MS + 30_000,
    // Keys are path segments on GET, cancel and retry: as long as any key, percent-encoded.
    routerOptions: { maxParamLength: 3 * KEY_MAX_LENGTH },
  });
  // Every route's request parts are checked by its zod schemas (src/shared/schemas): bodies are strict (an
  // unknown field is refused, never stripped) and never coerced; only query strings, which are text, become
  // numbers. Answers are encoded by the route's response schema, so a field no schema names is never sent.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is refused with 415, not parsed as a string.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body is no body: bodyless POSTs (cancel) must carry the JSON type too.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.addHook('onRequest', async (request) => {
    const length = Number(request.headers['content-length']);
    if (!(length > (request.routeOptions.bodyLimit ?? BODY_LIMIT))) return;
    if (length <= DRAIN_LIMIT) for await (const _chunk of request.raw) void _chunk;
    // The same refusal fastify's parser gives a body found too large while reading it.
    throw new FST_ERR_CTP_BODY_TOO_LARGE();
  });
  if (localHostOnly) requireLocalHost(app);
  // Who is asking comes before what was sent: a request without a valid token gets 401, whatever its type.
  installAuth(app, {
    tokens,
    scriptOf: (workflowId) => deps.runs.scriptOf(workflowId),
  });
  requireJsonPosts(app);
  // A route about one run names it in its log lines from the start.
  app.addHook('preHandler', async (request, reply) => {
    const { id } = request.params as { id?: string };
    if (id !== undefined) bindRunLog(request, reply, { workflowId: id });
  });
  const metrics = new Registry();
  app.decorate('requestMetrics', new RequestMetrics(metrics, deps.runs.registry, deps.runs.paymentScript));
  app.decorate('requestJournal', new RequestJournal());
  batchGauges(metrics, deps.runs, gaugeOptions);
  scheduleCounts(metrics, deps.schedules, gaugeOptions);
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` }),
  );
  installOpenApi(app, (api) => {
    healthRoutes(api, deps);
    keyRoutes(api, deps);
    notificationRoutes(api, deps);
    metricsRoute(api, [metrics, processRegistry()], sdkMetricsUrl);
    refuseOtherMethods(api, '/metrics', ['GET']);
    paymentRoutes(api, deps);
    runRoutes(api, deps);
    batchRoutes(api, deps);
    scheduleRoutes(api, deps);
    scriptRoutes(api, deps);
    whoamiRoutes(api);
    uiRoutes(api);
  });
  return app;
}
