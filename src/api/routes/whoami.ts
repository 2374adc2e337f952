// Who the caller is and what its scopes allow, so a client (the web UI) can offer only what it may do.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Caller } from '../../shared/schemas/api.js';
import { callerOf } from '../caller.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';

export function whoamiRoutes(app: FastifyInstance): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/whoami',
    {
      schema: { summary: "The caller's token and scopes", response: { 200: Caller, ...errors() } },
      config: { auth: 'authenticated' },
    },
    async (request) => callerOf(request),
  );
  refuseOtherMethods(app, '/v1/whoami', ['GET']);
}
