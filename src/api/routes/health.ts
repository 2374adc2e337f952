import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';

export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const health = {
    summary: 'Is Temporal reachable?',
    response: {
      200: {
        type: 'object',
        required: ['ok', 'temporal'],
        properties: { ok: { const: true }, temporal: { const: 'reachable' } },
      },
      503: {
        type: 'object',
        required: ['ok', 'temporal', 'message'],
        properties: { ok: { const: false }, temporal: { const: 'unreachable' }, message: { type: 'string' } },
      },
    },
  };
  app.get('/healthz', { schema: health, config: { auth: 'public' } }, async (_request, reply) => {
    try {
      await deps.runs.client.connection.withDeadline(Date.now() + 2000, () =>
        deps.runs.client.connection.workflowService.getSystemInfo({}),
      );
      return { ok: true, temporal: 'reachable' };
    } catch (err) {
      return reply.code(503).send({ ok: false, temporal: 'unreachable', message: (err as Error).message });
    }
  });
  refuseOtherMethods(app, '/healthz', ['GET']);
}
