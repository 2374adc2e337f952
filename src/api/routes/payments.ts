// The original design's endpoints. `/v1/payments` is a thin use of the run contract; `/traditional`
// runs the script directly, with no idempotency, to show the problem SuperScript solves: it exists only
// under `superscript dev` (and so the demos), never in `superscript api`.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { validateArgs } from '../../config/scripts.js';
import { outcomeOf, runProcess } from '../../process/spawn.js';
import { scriptProcess } from '../../process/launch.js';
import { paymentSpec } from '../../runs/requests.js';
import { PAYMENT_SCRIPT } from '../../shared/runs.js';
import { TraditionalAnswer } from '../../shared/schemas/api.js';
import { OrderRequest } from '../../shared/schemas/batches.js';
import { WaitQuery } from '../../shared/schemas/runs.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors, runAnswers } from '../openapi.js';

const auth = { auth: { start: () => PAYMENT_SCRIPT } };

export function paymentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
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
    async (request, reply) => {
      const wait = request.query.wait ?? deps.waitMs;
      const spec = paymentSpec(deps.registry, deps.runs.taskQueue, request.body);
      bindRunLog(request, reply, spec);
      const outcome = await deps.waits.run(wait, reply, (gone) =>
        deps.runs.startOrAttach(spec, wait, gone, request.principal.name),
      );
      return sendRun(reply, outcome, `/v1/runs/${spec.workflowId}`);
    },
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
      async (request) => {
        const spec = deps.registry.get(PAYMENT_SCRIPT);
        const args = validateArgs(spec, request.body);
        const outcome = await runProcess(scriptProcess(spec, args, deps.dataDir));
        const { timedOut: _timedOut, cancelled: _cancelled, ...result } = outcome;
        return { idempotent: false as const, result: { ...result, outcome: outcomeOf(outcome) } };
      },
    );
    refuseOtherMethods(app, '/v1/payments/traditional', ['POST']);
  }
  refuseOtherMethods(app, '/v1/payments', ['POST']);
}
