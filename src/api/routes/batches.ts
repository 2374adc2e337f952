// Batches of any size: start (or attach to) one, read its progress, page through its orders, cancel it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchPlan, validateBatchId } from '../../runs/requests.js';
import { PAYMENT_SCRIPT, batchWorkflowId } from '../../workflows/contract.js';
import type { RunAction } from '../scopes.js';
import { batchesQuery, type RunFilters } from '../../runs/list-query.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import type { ApiDeps } from '../deps.js';
import { BATCH_BODY_LIMIT } from '../limits.js';
import { refuseOtherMethods } from '../methods.js';
import { temporalUiLink } from '../temporal-link.js';
import { parseWait } from '../wait.js';

const batchSchema = {
  type: 'object',
  required: ['orders'],
  additionalProperties: false,
  properties: {
    batchId: { type: 'string' },
    orders: {
      type: 'array',
      items: {
        type: 'object',
        required: ['orderId', 'amount'],
        additionalProperties: false,
        properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
      },
    },
    maxConcurrent: { type: 'integer' },
  },
} as const;

const cancelSchema = {
  type: 'object',
  nullable: true,
  additionalProperties: false,
  properties: { killRunning: { type: 'boolean' } },
} as const;

/** A batch is a run of the payment script: reading and cancelling it take the scopes a payment's would. */
const onBatch = (act: RunAction) => ({
  auth: {
    act,
    workflowId: (r: FastifyRequest) =>
      batchWorkflowId(validateBatchId((r.params as { batchId: string }).batchId)),
  },
});

interface BatchRoute {
  Body: { batchId?: string; orders: { orderId: string; amount: number }[]; maxConcurrent?: number };
  Querystring: { wait?: string };
}
interface BatchIdRoute {
  Params: { batchId: string };
  Querystring: { cursor?: string; status?: string; limit?: string };
  Body?: { killRunning?: boolean };
}

const BATCH_PREFIX = batchWorkflowId('');

export function batchRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<BatchRoute>(
    '/v1/batches',
    {
      schema: { body: batchSchema },
      bodyLimit: BATCH_BODY_LIMIT,
      config: { auth: { start: () => PAYMENT_SCRIPT } },
    },
    async (request, reply) => {
      // A batch answers at once unless asked to wait: batches run long.
      const wait = parseWait(request.query.wait, 0);
      // Every order is checked before anything starts.
      const plan = batchPlan(
        deps.registry,
        deps.runs.taskQueue,
        { ...request.body, batchId: request.body.batchId ?? randomUUID() },
        deps.batchShape,
      );
      bindRunLog(request, reply, {
        workflowId: batchWorkflowId(plan.batchId),
        request: { script: PAYMENT_SCRIPT },
      });
      const outcome = await deps.waits.run(wait, reply, (gone) => deps.runs.startBatch(plan, wait, gone));
      const { batchId } = plan;
      return sendRun(
        reply,
        { ...outcome, run: { ...outcome.run, batchId } as typeof outcome.run },
        `/v1/batches/${batchId}`,
      );
    },
  );

  // Batches listed like runs (visibility), newest first: `read`, or a `run:` scope (batches run the payment script).
  app.get<{ Querystring: Omit<RunFilters, 'script'> }>(
    '/v1/batches',
    { config: { auth: 'list' } },
    async (request) => {
      const views = await deps.runs.list(batchesQuery(request.query, deps.runs.taskQueue));
      return {
        batches: views.map(({ workflowId, runId, status, startedAt, closedAt, request: req }) => ({
          batchId: workflowId.slice(BATCH_PREFIX.length),
          workflowId,
          runId,
          status,
          startedAt,
          closedAt,
          orders: (req?.args as { orders?: number } | undefined)?.orders,
        })),
      };
    },
  );

  app.get<BatchIdRoute>('/v1/batches/:batchId', { config: onBatch('read') }, async (request) => {
    const batch = await deps.runs.readBatch(validateBatchId(request.params.batchId));
    const temporalUrl = temporalUiLink(deps.temporalUiUrl, deps.runs.client.options.namespace, batch);
    return { ...batch, temporalUrl };
  });

  app.get<BatchIdRoute>('/v1/batches/:batchId/orders', { config: onBatch('read') }, async (request) =>
    deps.runs.batchOrders(validateBatchId(request.params.batchId), request.query),
  );

  app.post<BatchIdRoute>(
    '/v1/batches/:batchId/cancel',
    { schema: { body: cancelSchema }, config: onBatch('cancel') },
    async (request) => {
      const batch = await deps.runs.cancelBatch(validateBatchId(request.params.batchId), {
        killRunning: request.body?.killRunning ?? false,
      });
      return { ...batch, status: 'cancelling' };
    },
  );

  refuseOtherMethods(app, '/v1/batches', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/batches/:batchId', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/orders', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/cancel', ['POST']);
}
