// Batches of any size: plan one, start (or attach to) one, read its progress, page through its orders, cancel it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { batchPlan, paymentOrders } from '../../runs/requests.js';
import { batchWorkflowId } from '../../shared/ids.js';
import { PAYMENT_SCRIPT } from '../../shared/runs.js';
import {
  BatchIdParams,
  BatchList,
  BatchPlanReport,
  BatchRequest,
  BatchView,
  BatchesQuery,
  CancelBatchRequest,
  CancellingBatch,
  OrdersPage,
  OrdersQuery,
} from '../../shared/schemas/batches.js';
import { WaitQuery } from '../../shared/schemas/runs.js';
import { listableScripts, type RunAction } from '../scopes.js';
import { batchesQuery } from '../../runs/list-query.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import type { ApiDeps } from '../deps.js';
import { BATCH_BODY_LIMIT } from '../limits.js';
import { refuseOtherMethods } from '../methods.js';
import { errors, runAnswers } from '../openapi.js';
import { temporalUiLink } from '../temporal-link.js';

/** A batch is a run of the payment script: reading and cancelling it take the scopes a payment's would. */
const onBatch = (act: RunAction) => ({
  auth: {
    act,
    workflowId: (r: FastifyRequest) => batchWorkflowId((r.params as { batchId: string }).batchId),
  },
});

const BATCH_PREFIX = batchWorkflowId('');

export function batchRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post(
    '/v1/batches',
    {
      schema: {
        summary: 'Start or attach to a batch of payments',
        body: BatchRequest,
        querystring: WaitQuery,
        response: { ...runAnswers, ...errors(422, 503) },
      },
      bodyLimit: BATCH_BODY_LIMIT,
      config: { auth: { start: () => PAYMENT_SCRIPT } },
    },
    async (request, reply) => {
      // A batch answers at once unless asked to wait: batches run long.
      const wait = request.query.wait ?? 0;
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
      return sendRun(reply, outcome, `/v1/batches/${batchId}`, batchId);
    },
  );

  // Batches listed like runs (visibility), newest first: to `read`, `run:*` or `run:collect-payment` (batches
  // run the payment script); a token that may list only other scripts' runs sees none.
  api.get(
    '/v1/batches',
    {
      schema: {
        summary: 'List batches, newest first',
        querystring: BatchesQuery,
        response: { 200: BatchList, ...errors(400, 503) },
      },
      config: { auth: 'list' },
    },
    async (request) => {
      const query = batchesQuery(request.query, deps.runs.taskQueue);
      if (!(listableScripts(request.principal)?.includes(PAYMENT_SCRIPT) ?? true)) return { batches: [] };
      const views = await deps.runs.listBatches(query);
      return {
        batches: views.map(({ workflowId, runId, status, startedAt, closedAt, request: req, foreign }) => {
          const orders = req && 'orders' in req.args ? req.args.orders : undefined;
          return {
            batchId: workflowId.slice(BATCH_PREFIX.length),
            workflowId,
            runId,
            status,
            startedAt,
            closedAt,
            orders: Number.isInteger(orders) ? (orders as number) : undefined,
            foreign,
          };
        }),
      };
    },
  );

  // What the batch would do, order by order, before anything is charged; it starts nothing.
  api.post(
    '/v1/batches/plan',
    {
      schema: {
        summary: 'What a batch would do, order by order; starts nothing',
        body: BatchRequest,
        response: { 200: BatchPlanReport, ...errors(503) },
      },
      bodyLimit: BATCH_BODY_LIMIT,
      config: { auth: { start: () => PAYMENT_SCRIPT } },
    },
    async (request, reply) => {
      // Checked as POST /v1/batches checks it, so a plan that answers is a batch that would start.
      const orders = paymentOrders(deps.registry, request.body.orders);
      // Reading stops when the caller goes away (no wait for a result: it takes no wait slot).
      return deps.waits.run(0, reply, (gone) => deps.runs.planBatch(deps.registry, orders, gone));
    },
  );

  api.get(
    '/v1/batches/:batchId',
    {
      schema: {
        summary: "A batch's progress",
        params: BatchIdParams,
        response: { 200: BatchView, ...errors(400, 404, 503) },
      },
      config: onBatch('read'),
    },
    async (request) => {
      const batch = await deps.runs.readBatch(request.params.batchId);
      const temporalUrl = temporalUiLink(deps.temporalUiUrl, deps.runs.client.options.namespace, batch);
      return { ...batch, temporalUrl };
    },
  );

  api.get(
    '/v1/batches/:batchId/orders',
    {
      schema: {
        summary: "A page of a batch's orders",
        params: BatchIdParams,
        querystring: OrdersQuery,
        response: { 200: OrdersPage, ...errors(400, 404, 503) },
      },
      config: onBatch('read'),
    },
    async (request) => deps.runs.batchOrders(request.params.batchId, request.query),
  );

  api.post(
    '/v1/batches/:batchId/cancel',
    {
      schema: {
        summary: 'Stop a batch from starting orders',
        params: BatchIdParams,
        body: CancelBatchRequest,
        response: { 200: CancellingBatch, ...errors(404, 409, 503) },
      },
      config: onBatch('cancel'),
    },
    async (request) => {
      const batch = await deps.runs.cancelBatch(request.params.batchId, {
        killRunning: request.body?.killRunning ?? false,
      });
      return { ...batch, status: 'cancelling' as const };
    },
  );

  refuseOtherMethods(app, '/v1/batches', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/batches/plan', ['POST']); // "plan" is no batch ID (BatchId)
  refuseOtherMethods(app, '/v1/batches/:batchId', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/orders', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/cancel', ['POST']);
}
