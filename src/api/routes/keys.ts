// The key store over HTTP: a key's record and history (GET /v1/keys/{id}, like reading its run), and
// removing keys whose runs ended before a date (POST /v1/keys/prune, admin only).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { KeyReport, PruneAnswer, PruneRequest } from '../../shared/schemas/keys.js';
import { RunIdParams } from '../../shared/schemas/runs.js';
import { runIdParam } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';

export function keyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/keys/:id',
    {
      schema: {
        summary: "A key's record and history in the key store",
        params: RunIdParams,
        response: { 200: KeyReport, ...errors(400, 404, 503) },
      },
      config: { auth: { act: 'read', workflowId: runIdParam } },
    },
    async (request) => deps.runs.keyReport(request.params.id),
  );

  api.post(
    '/v1/keys/prune',
    {
      schema: {
        summary: 'Remove keys whose runs ended before a date',
        body: PruneRequest,
        response: { 200: PruneAnswer, ...errors(400, 503) },
      },
      config: { auth: 'admin' },
    },
    async (request) => ({ removed: await deps.runs.pruneKeys(request.body.before) }),
  );

  refuseOtherMethods(app, '/v1/keys/:id', ['GET']);
  refuseOtherMethods(app, '/v1/keys/prune', ['POST']);
}
