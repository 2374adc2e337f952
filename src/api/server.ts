// The HTTP API: JSON in and out. Every route validates its input fully before it starts anything.
import Fastify, { type FastifyInstance } from 'fastify';
import type { ScriptRegistry } from '../config/scripts.js';
import type { Runs } from '../runs/start-or-attach.js';
import { sendError } from './errors.js';
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
}

// A 1,000-order batch is about 40 KB of JSON; 2 MiB leaves room without inviting abuse.
const BODY_LIMIT = 2 * 1024 * 1024;
// Refused bodies up to this size are read and dropped first, so the client reads the 413 instead of a
// broken pipe; larger ones get the connection closed on them.
const DRAIN_LIMIT = 16 * 1024 * 1024;

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: { level: deps.logLevel ?? 'info' },
    bodyLimit: BODY_LIMIT,
    // Validate exactly what was sent: no silent stripping of unknown fields, no type coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });
  // JSON only: a text/plain body is refused with 415, not parsed as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.addHook('onRequest', async (request, reply) => {
    const length = Number(request.headers['content-length']);
    if (!(length > BODY_LIMIT)) return;
    if (length <= DRAIN_LIMIT) for await (const _chunk of request.raw) void _chunk;
    return reply.code(413).send({
      error: 'body_too_large',
      message: `The request body is too large: the limit is ${BODY_LIMIT / 1024 / 1024} MiB.`,
    });
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
    handler: (_request, reply) =>
      reply
        .code(405)
        .header('Allow', allowed.join(', '))
        .send({ error: 'method_not_allowed', message: `${url} accepts ${allowed.join(', ')}.` }),
  });
}
