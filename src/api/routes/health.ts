import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';

export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/healthz', { config: { auth: 'public' } }, async (_request, reply) => {
    try {
      await deps.runs.client.connection.withDeadline(Date.now() + 2000, () =>
        deps.runs.client.connection.workflowService.getSystemInfo({}),
      );
      return { ok: true, temporal: 'reachable' };
    } catch (err) {
      return reply.code(503).send({ ok: false, temporal: 'unreachable', message: (err as Error).message });
    }
  });
}
