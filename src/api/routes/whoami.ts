// Who the caller is and what its scopes allow, so a client (the web UI) can offer only what it may do.
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../caller.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';
import { callerSchema } from '../schemas.js';

export function whoamiRoutes(app: FastifyInstance): void {
  const schema = { summary: "The caller's token and scopes", response: { 200: callerSchema, ...errors() } };
  app.get('/v1/whoami', { schema, config: { auth: 'authenticated' } }, async (request) => callerOf(request));
  refuseOtherMethods(app, '/v1/whoami', ['GET']);
}
