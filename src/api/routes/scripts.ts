// The script registry as a client needs it to make requests: each script's declared arguments and key template.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ScriptList } from '../../shared/schemas/scripts.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';
import { listableScripts } from '../scopes.js';

export function scriptRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // Listed to whoever may list runs, narrowed as their listing is: a `run:` token sees its own scripts only.
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/scripts',
    {
      schema: {
        summary: 'The registered scripts and the arguments they take',
        response: { 200: ScriptList, ...errors() },
      },
      config: { auth: 'list' },
    },
    async (request) => ({ scripts: deps.runs.scripts(listableScripts(request.principal)) }),
  );
  refuseOtherMethods(app, '/v1/scripts', ['GET']);
}
