// GET /healthz: can this API start runs? It needs both Temporal and the key store to answer.
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';

const HEALTH_DEADLINE_MS = 2000;
const reach = { type: 'string', enum: ['reachable', 'unreachable'] } as const;

export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const health = {
    summary: 'Are Temporal and the key store reachable?',
    response: {
      200: {
        type: 'object',
        required: ['ok', 'temporal', 'keyStore'],
        properties: { ok: { const: true }, temporal: reach, keyStore: reach },
      },
      503: {
        type: 'object',
        required: ['ok', 'temporal', 'keyStore', 'message'],
        properties: { ok: { const: false }, temporal: reach, keyStore: reach, message: { type: 'string' } },
      },
    },
  };
  app.get('/healthz', { schema: health, config: { auth: 'public' } }, async (_request, reply) => {
    const { client } = deps.runs;
    const [temporal, keyStore] = await Promise.all([
      answers(() =>
        client.connection.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () =>
          client.connection.workflowService.getSystemInfo({}),
        ),
      ),
      answers(() => deps.runs.keys.ping()),
    ]);
    const state = (err: Error | undefined) => (err ? 'unreachable' : 'reachable');
    if (!temporal && !keyStore) return { ok: true, temporal: 'reachable', keyStore: 'reachable' };
    const message = [
      temporal && `Temporal: ${temporal.message}`,
      keyStore && `Key store: ${keyStore.message}`,
    ]
      .filter(Boolean)
      .join(' ');
    return reply.code(503).send({ ok: false, temporal: state(temporal), keyStore: state(keyStore), message });
  });
  refuseOtherMethods(app, '/healthz', ['GET']);
}

/** Undefined when `check` answers, else what went wrong. */
async function answers(check: () => Promise<unknown>): Promise<Error | undefined> {
  try {
    await check();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
