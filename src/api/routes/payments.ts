// The original design's endpoints. `/v1/payments` is a thin use of the run contract; `/traditional`
// runs the script directly, with no idempotency, to show the problem SuperScript solves: it exists only
// under `superscript dev` (and so the demos), never in `superscript api`.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { TraditionalAnswer } from '../../shared/schemas/api.js';
import { OrderRequest } from '../../shared/schemas/batches.js';
import { WaitQuery } from '../../shared/schemas/runs.js';
import { answerRun } from '../respond.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors, runAnswers } from '../openapi.js';

export function paymentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const auth = { auth: { start: () => deps.runs.paymentScript } };
  api.post(
    '/v1/payments',
    {
      schema: {
        summary: 'Collect a payment once per order',
        body: OrderRequest,
        querystring: WaitQuery,
        response: { ...runAnswers, ...errors(422, 503) },
      },
      config: auth,
    },
    async (request, reply) =>
      answerRun(request, reply, deps, request.query.wait ?? deps.waitMs, (call) =>
        deps.runs.pay(request.body, call),
      ),
  );

  if (deps.traditionalRoute) {
    api.post(
      '/v1/payments/traditional',
      {
        schema: {
          summary: 'The payment script run directly, without idempotency (superscript dev only)',
          body: OrderRequest,
          response: { 200: TraditionalAnswer },
        },
        config: auth,
      },
      async (request) => deps.runs.payDirectly(request.body, deps.dataDir),
    );
    refuseOtherMethods(app, '/v1/payments/traditional', ['POST']);
  }
  refuseOtherMethods(app, '/v1/payments', ['POST']);
}
