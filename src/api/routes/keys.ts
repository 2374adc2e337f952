// The key store over HTTP: a key's record and history (GET /v1/keys/{id}, like reading its run), and
// removing keys whose runs ended before a date (POST /v1/keys/prune, admin only).
import type { FastifyInstance } from 'fastify';
import { validateKey } from '../../runs/keys.js';
import { keyReport, pruneKeys } from '../../runs/keys-report.js';
import { runIdParam } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';
import { idParam } from '../schemas.js';

const keySchema = {
  type: 'object',
  required: ['record', 'events', 'keptDays'],
  properties: {
    record: {
      type: 'object',
      description:
        'The key: script, request, state, the run holding it, attempts, origin, result, times; a pending retry or resolve grant (without its token).',
    },
    events: {
      type: 'array',
      description:
        'Its history, oldest first: reserved, claimed, spawned, ended, settled, granted, refused, backfilled.',
      items: { type: 'object' },
    },
    keptDays: {
      type: ['number', 'null'],
      description: 'Days after its run ends that the key is remembered; null: until removed with keys prune.',
    },
  },
} as const;

export function keyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { id: string } }>(
    '/v1/keys/:id',
    {
      schema: {
        summary: "A key's record and history in the key store",
        params: idParam('id'),
        response: { 200: keySchema, ...errors(400, 404, 503) },
      },
      config: { auth: { act: 'read', workflowId: runIdParam } },
    },
    async (request) => keyReport(deps.runs, validateKey(request.params.id, 'id'), deps.keyRetentionDays),
  );

  app.post<{ Body: { before: string } }>(
    '/v1/keys/prune',
    {
      schema: {
        summary: 'Remove keys whose runs ended before a date',
        body: {
          type: 'object',
          required: ['before'],
          additionalProperties: false,
          properties: { before: { type: 'string', description: 'An ISO 8601 time in the past.' } },
        },
        response: {
          200: { type: 'object', required: ['removed'], properties: { removed: { type: 'integer' } } },
          ...errors(400, 503),
        },
      },
      config: { auth: 'admin' },
    },
    async (request) => ({ removed: await pruneKeys(deps.runs, request.body.before) }),
  );

  refuseOtherMethods(app, '/v1/keys/:id', ['GET']);
  refuseOtherMethods(app, '/v1/keys/prune', ['POST']);
}
