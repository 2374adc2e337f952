// The notification outbox over HTTP (GET /v1/notifications, admin only): the latest deliveries to the
// config file's targets, delivered or not, with their attempts and last error, for the web UI and people.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { NotificationsAnswer, NotificationsQuery } from '../../shared/schemas/notifications.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';

export function notificationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/notifications',
    {
      schema: {
        summary: 'The latest notifications to targets, delivered or not',
        querystring: NotificationsQuery,
        response: { 200: NotificationsAnswer, ...errors(400, 503) },
      },
      config: { auth: 'admin' },
    },
    async (request) => deps.runs.notifications(request.query),
  );
  refuseOtherMethods(app, '/v1/notifications', ['GET']);
}
