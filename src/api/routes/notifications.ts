// The notification outbox over HTTP (GET /v1/notifications, admin only): the latest deliveries to the
// config file's targets, delivered or not, with their attempts and last error, for the web UI and people.
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from '../../errors.js';
import { NOTICE_LIST_MAX } from '../../keystore/rows.js';
import type { NoticeState } from '../../keystore/store.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';

const nullableString = { type: ['string', 'null'] } as const;

const notificationSchema = {
  type: 'object',
  required: ['id', 'target', 'type', 'createdAt', 'attempts', 'dueAt', 'lastError', 'deliveredAt', 'event'],
  properties: {
    id: { type: 'string', description: 'The event ID, also the delivery ID a receiver dedupes on.' },
    target: { type: 'string' },
    type: { type: 'string', description: 'run.failed, run.outcome_unknown, batch.finished or test.' },
    createdAt: { type: 'string' },
    attempts: { type: 'integer', description: 'Tries so far.' },
    dueAt: { type: 'string', description: 'When it is tried (again), unless delivered.' },
    lastError: { ...nullableString, description: "The last failed try's reason (kept once delivered)." },
    deliveredAt: nullableString,
    event: { type: 'object', description: 'The event, as its target receives it (without the link).' },
  },
} as const;

export function notificationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { limit?: string; undelivered?: 'true' | 'false' } }>(
    '/v1/notifications',
    {
      schema: {
        summary: 'The latest notifications to targets, delivered or not',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: {
              type: 'string',
              pattern: '^[1-9][0-9]{0,2}$',
              description: `How many, newest first: 1 to ${NOTICE_LIST_MAX} (100).`,
            },
            undelivered: {
              type: 'string',
              enum: ['true', 'false'],
              description: 'Only those not delivered yet.',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['pending', 'notifications'],
            properties: {
              pending: { type: 'integer', description: 'Notifications not delivered yet.' },
              notifications: { type: 'array', items: notificationSchema },
            },
          },
          ...errors(400, 503),
        },
      },
      config: { auth: 'admin' },
    },
    async (request) => {
      const limit = Number(request.query.limit ?? 100);
      if (limit > NOTICE_LIST_MAX) {
        throw new InvalidRequestError(`"limit" is at most ${NOTICE_LIST_MAX}.`, 'querystring.limit');
      }
      const keys = deps.runs.keys;
      const [pending, list] = await Promise.all([
        keys.pendingNotices(),
        keys.notices(limit, request.query.undelivered === 'true'),
      ]);
      return { pending, notifications: list.map(view) };
    },
  );
  refuseOtherMethods(app, '/v1/notifications', ['GET']);
}

function view(n: NoticeState) {
  const { body, leaseUntil: _lease, ...rest } = n;
  return { ...rest, event: JSON.parse(body) as object };
}
