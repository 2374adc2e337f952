// GET /healthz: can this API start runs? It needs both Temporal and the key store to answer.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Healthy, Unhealthy } from '../../shared/schemas/api.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';

const HEALTH_DEADLINE_MS = 2000;

export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const health = {
    summary: 'Are Temporal and the key store reachable?',
    response: { 200: Healthy, 503: Unhealthy },
  };
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/healthz', { schema: health, config: { auth: 'public' } }, async (_request, reply) => {
    const { temporal, keyStore } = await deps.runs.reachability(HEALTH_DEADLINE_MS);
    const state = (err: Error | undefined) => (err ? ('unreachable' as const) : ('reachable' as const));
    if (!temporal && !keyStore)
      return { ok: true as const, temporal: 'reachable' as const, keyStore: 'reachable' as const };
    const message = [
      temporal && `Temporal: ${temporal.message}`,
      keyStore && `Key store: ${keyStore.message}`,
    ]
      .filter(Boolean)
      .join(' ');
    return reply
      .code(503)
      .send({ ok: false as const, temporal: state(temporal), keyStore: state(keyStore), message });
  });
  refuseOtherMethods(app, '/healthz', ['GET']);
}
