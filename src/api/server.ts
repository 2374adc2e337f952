// The HTTP API: JSON in and out. Every route validates its input fully before it starts anything.
import Fastify, { errorCodes, type FastifyInstance } from 'fastify';
import type { ScriptRegistry } from '../config/scripts.js';
import type { TokenStore } from '../config/tokens.js';
import { requestOf, type Runs } from '../runs/start-or-attach.js';
import { installAuth } from './auth.js';
import { sendError } from './errors.js';
import { requireJsonPosts, requireLocalHost } from './guards.js';
import { BODY_LIMIT, DRAIN_LIMIT } from './limits.js';
import { batchRoutes } from './routes/batches.js';
import { healthRoutes } from './routes/health.js';
import { paymentRoutes } from './routes/payments.js';
import { runRoutes } from './routes/runs.js';

export interface ApiDeps {
  runs: Runs;
  registry: ScriptRegistry;
  taskQueue: string;
  dataDir: string;
  /** Default wait for a run's result before answering 202. */
  waitMs: number;
  /** pino level; `silent` for tests. */
  logLevel?: string;
  /** Bearer tokens and their scopes; without them the API is open (allowed on loopback only: access.ts). */
  tokens?: TokenStore;
  /** Answer only requests whose Host is localhost, 127.0.0.1 or [::1]: for an API bound to loopback. */
  localHostOnly?: boolean;
  /** Serve POST /v1/payments/traditional, the demonstration of the problem: `superscript dev` only. */
  traditionalRoute?: boolean;
}

const { FST_ERR_CTP_BODY_TOO_LARGE } = errorCodes;

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: { level: deps.logLevel ?? 'info' },
    bodyLimit: BODY_LIMIT,
    // Validate exactly what was sent: no silent stripping of unknown fields, no type coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });
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
    if (!(length > BODY_LIMIT)) return;
    if (length <= DRAIN_LIMIT) for await (const _chunk of request.raw) void _chunk;
    // The same refusal fastify's parser gives a body found too large while reading it.
    throw new FST_ERR_CTP_BODY_TOO_LARGE();
  });
  if (deps.localHostOnly) requireLocalHost(app);
  requireJsonPosts(app);
  installAuth(app, {
    tokens: deps.tokens,
    scriptOf: async (workflowId) => requestOf(await deps.runs.describe(workflowId))?.script,
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` }),
  );
  healthRoutes(app, deps);
  paymentRoutes(app, deps);
  runRoutes(app, deps);
  batchRoutes(app, deps);
  return app;
}

/** Answers any method a path does not serve with 405 and the methods it does. */
export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: string[]): void {
  const all = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  app.route({
    method: all.filter((m) => !allowed.includes(m)),
    url,
    config: { auth: 'public' },
    handler: (_request, reply) =>
      reply
        .code(405)
        .header('Allow', allowed.join(', '))
        .send({ error: 'method_not_allowed', message: `${url} accepts ${allowed.join(', ')}.` }),
  });
}
