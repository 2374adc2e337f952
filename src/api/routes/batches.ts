// Batches of any size: plan one, start (or attach to) one, read its progress, page through its orders, cancel it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchPlan, validBatchOrders, validMaxConcurrent, validateBatchId } from '../../runs/requests.js';
import { batchWorkflowId } from '../../shared/ids.js';
import { PAYMENT_SCRIPT } from '../../shared/runs.js';
import { listableScripts, type RunAction } from '../scopes.js';
import { batchesQuery, type RunFilters } from '../../runs/list-query.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import type { ApiDeps } from '../deps.js';
import { BATCH_BODY_LIMIT } from '../limits.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';
import { foreignProperty, idParam, listFilters, runAnswers, waitQuery } from '../schemas.js';
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

const batchView = {
  type: 'object',
  required: ['batchId', 'workflowId', 'runId', 'status'],
  additionalProperties: true,
  properties: {
    batchId: { type: 'string' },
    workflowId: { type: 'string' },
    runId: { type: 'string' },
    status: {
      type: 'string',
      description: 'running, succeeded, cancelled, or how it failed (cancelling just after a cancel).',
    },
    progress: {
      type: 'object',
      description:
        'Counts of orders: total, done, succeeded, failed, unknown, alreadyDone, conflict, pending.',
      additionalProperties: { type: 'integer' },
    },
    foreign: foreignProperty('batch'),
  },
} as const;

const batchList = {
  type: 'object',
  required: ['batches'],
  properties: {
    batches: {
      type: 'array',
      items: {
        type: 'object',
        required: ['batchId', 'workflowId', 'runId', 'status'],
        properties: {
          batchId: { type: 'string' },
          workflowId: { type: 'string' },
          runId: { type: 'string' },
          status: { type: 'string' },
          startedAt: { type: 'string' },
          closedAt: { type: 'string' },
          orders: { type: 'integer', description: 'How many orders the batch was started with.' },
          foreign: foreignProperty('batch'),
        },
      },
    },
  },
} as const;

const batchPlanSchema = {
  type: 'object',
  required: ['total', 'counts', 'orders'],
  properties: {
    total: { type: 'integer' },
    counts: {
      type: 'object',
      required: ['new', 'alreadyDone', 'inFlight', 'conflict'],
      properties: {
        new: { type: 'integer' },
        alreadyDone: { type: 'integer' },
        inFlight: { type: 'integer' },
        conflict: { type: 'integer' },
      },
    },
    orders: {
      type: 'array',
      items: {
        type: 'object',
        required: ['orderId', 'amount', 'workflowId', 'status'],
        properties: {
          orderId: { type: 'string' },
          amount: { type: 'number' },
          workflowId: { type: 'string' },
          status: { type: 'string', enum: ['new', 'already_done', 'in_flight', 'conflict'] },
          outcome: {
            type: 'string',
            description: 'How its run ended (already_done), or running (in_flight).',
          },
          runId: { type: 'string' },
          message: { type: 'string', description: 'What the key holds instead (conflict).' },
        },
      },
    },
  },
} as const;

const ordersQuery = {
  type: 'object',
  properties: {
    cursor: { type: 'string', description: 'The nextCursor of the page before.' },
    status: { type: 'string', description: 'succeeded, failed, unknown, already_done, conflict or pending.' },
    limit: { type: 'string', description: '1 to 1000 (default 100).' },
  },
} as const;

const ordersPage = {
  type: 'object',
  required: ['orders'],
  properties: {
    orders: {
      type: 'array',
      items: {
        type: 'object',
        required: ['orderId', 'amount', 'workflowId', 'status'],
        additionalProperties: true,
        properties: {
          orderId: { type: 'string' },
          amount: { type: 'number' },
          workflowId: { type: 'string' },
          status: { type: 'string' },
        },
      },
    },
    nextCursor: { type: 'string', description: 'Absent on the last page.' },
    foreign: foreignProperty('page'),
  },
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
      schema: {
        summary: 'Start or attach to a batch of payments',
        body: batchSchema,
        querystring: waitQuery,
        response: { ...runAnswers, ...errors(422, 503) },
      },
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

  const list = {
    summary: 'List batches, newest first',
    querystring: listFilters,
    response: { 200: batchList, ...errors(400, 503) },
  };
  // Batches listed like runs (visibility), newest first: to `read`, `run:*` or `run:collect-payment` (batches
  // run the payment script); a token that may list only other scripts' runs sees none.
  app.get<{ Querystring: Omit<RunFilters, 'script'> }>(
    '/v1/batches',
    { schema: list, config: { auth: 'list' } },
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
            orders: Number.isInteger(orders) ? orders : undefined,
            foreign,
          };
        }),
      };
    },
  );

  const plan = {
    summary: 'What a batch would do, order by order; starts nothing',
    body: batchSchema,
    response: { 200: batchPlanSchema, ...errors(503) },
  };
  // What the batch would do, order by order, before anything is charged; it starts nothing.
  app.post<BatchRoute>(
    '/v1/batches/plan',
    {
      schema: plan,
      bodyLimit: BATCH_BODY_LIMIT,
      config: { auth: { start: () => PAYMENT_SCRIPT } },
    },
    async (request, reply) => {
      // Checked as POST /v1/batches checks it, so a plan that answers is a batch that would start.
      if (request.body.batchId !== undefined) validateBatchId(request.body.batchId);
      validMaxConcurrent(request.body.maxConcurrent);
      const orders = validBatchOrders(deps.registry, request.body.orders);
      // Reading stops when the caller goes away (no wait for a result: it takes no wait slot).
      return deps.waits.run(0, reply, (gone) => deps.runs.planBatch(deps.registry, orders, gone));
    },
  );

  const read = {
    summary: "A batch's progress",
    params: idParam('batchId'),
    response: { 200: batchView, ...errors(400, 404, 503) },
  };
  app.get<BatchIdRoute>(
    '/v1/batches/:batchId',
    { schema: read, config: onBatch('read') },
    async (request) => {
      const batch = await deps.runs.readBatch(validateBatchId(request.params.batchId));
      const temporalUrl = temporalUiLink(deps.temporalUiUrl, deps.runs.client.options.namespace, batch);
      return { ...batch, temporalUrl };
    },
  );

  const orders = {
    summary: "A page of a batch's orders",
    params: idParam('batchId'),
    querystring: ordersQuery,
    response: { 200: ordersPage, ...errors(400, 404, 503) },
  };
  app.get<BatchIdRoute>(
    '/v1/batches/:batchId/orders',
    { schema: orders, config: onBatch('read') },
    async (request) => deps.runs.batchOrders(validateBatchId(request.params.batchId), request.query),
  );

  app.post<BatchIdRoute>(
    '/v1/batches/:batchId/cancel',
    {
      schema: {
        summary: 'Stop a batch from starting orders',
        params: idParam('batchId'),
        body: cancelSchema,
        response: { 200: batchView, ...errors(404, 409, 503) },
      },
      config: onBatch('cancel'),
    },
    async (request) => {
      const batch = await deps.runs.cancelBatch(validateBatchId(request.params.batchId), {
        killRunning: request.body?.killRunning ?? false,
      });
      return { ...batch, status: 'cancelling' };
    },
  );

  refuseOtherMethods(app, '/v1/batches', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/batches/plan', ['POST']); // "plan" is no batch ID (validateBatchId)
  refuseOtherMethods(app, '/v1/batches/:batchId', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/orders', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/cancel', ['POST']);
}
