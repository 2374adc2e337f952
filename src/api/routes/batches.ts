// Batches of any size, of payments or of any registered script: plan one, start (or attach to) one, read its progress, page through its orders, cancel it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { batchWorkflowId } from '../../shared/ids.js';
import {
  BatchIdParams,
  BatchList,
  BatchPlanReport,
  BatchRequest,
  BatchView,
  BatchesQuery,
  CancelBatchRequest,
  CancellingBatch,
  DecisionList,
  DecisionParams,
  DecisionView,
  OrdersPage,
  OrdersQuery,
} from '../../shared/schemas/batches.js';
import { WaitQuery } from '../../shared/schemas/runs.js';
import { listableScripts, type RunAction } from '../scopes.js';
import { answerRun } from '../respond.js';
import type { ApiDeps } from '../deps.js';
import { BATCH_BODY_LIMIT } from '../limits.js';
import { refuseOtherMethods } from '../methods.js';
import { errors, runAnswers } from '../openapi.js';

/** A batch is a run of its script: reading and cancelling it take the scopes a run of that script would. */
const onBatch = (act: RunAction) => ({
  auth: {
    act,
    workflowId: (r: FastifyRequest) => batchWorkflowId((r.params as { batchId: string }).batchId),
  },
});

export function batchRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // Starting (or planning) a batch of script S takes what starting a run of S takes; orders are payments.
  const startsScript = {
    auth: { start: (r: FastifyRequest) => (r.body as BatchRequest).script ?? deps.runs.paymentScript },
  };
  api.post(
    '/v1/batches',
    {
      schema: {
        summary: 'Start or attach to a batch of payments, or of any registered script',
        body: BatchRequest,
        querystring: WaitQuery,
        response: { ...runAnswers, ...errors(422, 503) },
      },
      bodyLimit: BATCH_BODY_LIMIT,
      config: startsScript,
    },
    // A batch answers at once unless asked to wait: batches run long.
    async (request, reply) =>
      answerRun(request, reply, deps, request.query.wait ?? 0, (call) =>
        deps.runs.startBatch(request.body, call),
      ),
  );

  // Batches listed like runs (visibility), newest first: to `read` or `run:*` every batch; to `run:S`, the
  // batches of script S.
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
    async (request) => ({
      batches: await deps.runs.listBatches(request.query, listableScripts(request.principal)),
    }),
  );

  // What the batch would do, order by order, before anything is charged; it starts nothing.
  api.post(
    '/v1/batches/plan',
    {
      schema: {
        summary: 'What a batch would do, order by order (row by row); starts nothing',
        body: BatchRequest,
        response: { 200: BatchPlanReport, ...errors(503) },
      },
      bodyLimit: BATCH_BODY_LIMIT,
      config: startsScript,
    },
    // Checked as POST /v1/batches checks it, every bad row listed: a plan without bad rows is a batch that
    // would start. Reading stops when the caller goes away (no wait for a result: it takes no wait slot).
    async (request, reply) => deps.waits.run(0, reply, (gone) => deps.runs.planBatch(request.body, gone)),
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
    async (request) => deps.runs.readBatch(request.params.batchId),
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
    async (request) => deps.runs.cancelBatch(request.params.batchId, request.body),
  );

  // Bulk decisions: deciding what a retry may do next takes `retry` for both, as a single run's retry and
  // resolve do. The token's name is recorded on every grant the decision makes.
  api.post(
    '/v1/batches/:batchId/decisions/:action',
    {
      schema: {
        summary: "Retry a batch's failed orders, or resolve its unknown ones; asking twice does it once",
        params: DecisionParams,
        response: { 200: DecisionView, ...errors(404, 409, 503) },
      },
      config: onBatch('retry'),
    },
    async (request) =>
      deps.runs.decideBatch(request.params.batchId, request.params.action, { by: request.principal.name }),
  );

  api.get(
    '/v1/batches/:batchId/decisions/:action',
    {
      schema: {
        summary: "A bulk decision's progress",
        params: DecisionParams,
        response: { 200: DecisionView, ...errors(400, 404, 409, 503) },
      },
      config: onBatch('read'),
    },
    async (request) => deps.runs.readDecision(request.params.batchId, request.params.action),
  );

  api.get(
    '/v1/batches/:batchId/decisions',
    {
      schema: {
        summary: 'The bulk decisions asked for on a batch, with their progress',
        params: BatchIdParams,
        response: { 200: DecisionList, ...errors(400, 404, 409, 503) },
      },
      config: onBatch('read'),
    },
    async (request) => ({ decisions: await deps.runs.batchDecisions(request.params.batchId) }),
  );

  refuseOtherMethods(app, '/v1/batches', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/batches/plan', ['POST']); // "plan" is no batch ID (BatchId)
  refuseOtherMethods(app, '/v1/batches/:batchId', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/orders', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/cancel', ['POST']);
  refuseOtherMethods(app, '/v1/batches/:batchId/decisions', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/decisions/:action', ['GET', 'POST']);
}
