// Who the caller is and what its scopes allow, so a client (the web UI) can offer only what it may do.
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../caller.js';
import { refuseOtherMethods } from '../methods.js';

export function whoamiRoutes(app: FastifyInstance): void {
  app.get('/v1/whoami', { config: { auth: 'authenticated' } }, async (request) => callerOf(request));
  refuseOtherMethods(app, '/v1/whoami', ['GET']);
}
