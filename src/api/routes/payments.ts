// The original design's endpoints. `/v1/payments` is a thin use of the run contract; `/traditional`
// runs the script directly, with no idempotency, to show the problem SuperScript solves: it exists only
// under `superscript dev` (and so the demos), never in `superscript api`.
import type { FastifyInstance } from 'fastify';
import { validateArgs } from '../../config/scripts.js';
import { outcomeOf, runProcess } from '../../process/spawn.js';
import { scriptProcess } from '../../process/launch.js';
import { paymentSpec } from '../../runs/requests.js';
import { PAYMENT_SCRIPT } from '../../shared/runs.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';
import { runAnswers, waitQuery } from '../schemas.js';
import { parseWait } from '../wait.js';

const orderSchema = {
  type: 'object',
  required: ['orderId', 'amount'],
  additionalProperties: false,
  properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
} as const;

interface Order {
  Body: { orderId: string; amount: number };
  Querystring: { wait?: string };
}

const auth = { auth: { start: () => PAYMENT_SCRIPT } };
const payment = {
  schema: {
    summary: 'Collect a payment once per order',
    body: orderSchema,
    querystring: waitQuery,
    response: { ...runAnswers, ...errors(422, 503) },
  },
  config: auth,
};
const traditional = {
  schema: {
    summary: 'The payment script run directly, without idempotency (superscript dev only)',
    body: orderSchema,
    response: {
      200: {
        type: 'object',
        required: ['idempotent', 'result'],
        properties: { idempotent: { const: false }, result: { type: 'object', additionalProperties: true } },
      },
    },
  },
  config: auth,
};

export function paymentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<Order>('/v1/payments', payment, async (request, reply) => {
    const wait = parseWait(request.query.wait, deps.waitMs);
    const spec = paymentSpec(deps.registry, deps.runs.taskQueue, request.body);
    bindRunLog(request, reply, spec);
    const outcome = await deps.waits.run(wait, reply, (gone) =>
      deps.runs.startOrAttach(spec, wait, gone, request.principal.name),
    );
    return sendRun(reply, outcome, `/v1/runs/${spec.workflowId}`);
  });

  if (deps.traditionalRoute) {
    app.post<Order>('/v1/payments/traditional', traditional, async (request) => {
      const spec = deps.registry.get(PAYMENT_SCRIPT);
      const args = validateArgs(spec, request.body);
      const outcome = await runProcess(scriptProcess(spec, args, deps.dataDir));
      const { timedOut: _timedOut, cancelled: _cancelled, ...result } = outcome;
      return { idempotent: false, result: { ...result, outcome: outcomeOf(outcome) } };
    });
    refuseOtherMethods(app, '/v1/payments/traditional', ['POST']);
  }
  refuseOtherMethods(app, '/v1/payments', ['POST']);
}
