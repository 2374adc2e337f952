// Batches: one OrchestratorWorkflow per batch ID, itself started-or-attached like any run.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { countsOf, pageOfOrders, runningCounts, type OrderPageQuery } from '../../runs/batch-report.js';
import { batchesQuery, type RunFilters } from '../../runs/list-query.js';
import { batchSpec } from '../../runs/requests.js';
import type { RunView } from '../../runs/view.js';
import {
  BATCH_PROGRESS_QUERY,
  batchWorkflowId,
  type BatchProgress,
  type BatchResult,
} from '../../workflows/contract.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import type { ApiDeps } from '../deps.js';
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

interface BatchRoute {
  Body: { batchId?: string; orders: { orderId: string; amount: number }[]; maxConcurrent?: number };
  Querystring: { wait?: string };
}
interface BatchIdRoute {
  Params: { batchId: string };
  Querystring: OrderPageQuery;
}

const BATCH_PREFIX = batchWorkflowId('');

export function batchRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<BatchRoute>('/v1/batches', { schema: { body: batchSchema } }, async (request, reply) => {
    // A batch answers at once unless asked to wait: batches run long.
    const wait = parseWait(request.query.wait, 0);
    const spec = batchSpec(deps.registry, deps.runs.taskQueue, {
      ...request.body,
      batchId: request.body.batchId ?? randomUUID(),
    });
    bindRunLog(request, reply, spec);
    const outcome = await deps.waits.run(wait, reply, (gone) => deps.runs.startOrAttach(spec, wait, gone));
    const { batchId } = spec.input;
    return sendRun(
      reply,
      { ...outcome, run: { ...outcome.run, batchId } as typeof outcome.run },
      `/v1/batches/${batchId}`,
    );
  });

  app.get<{ Querystring: Omit<RunFilters, 'script'> }>('/v1/batches', async (request) => {
    const views = await deps.runs.list(batchesQuery(request.query, deps.runs.taskQueue));
    return {
      batches: views.map((v) => ({
        batchId: v.workflowId.slice(BATCH_PREFIX.length),
        ...summaryOf(v),
        orders: (v.request?.args as { orders?: unknown[] } | undefined)?.orders?.length,
      })),
    };
  });

  app.get<BatchIdRoute>('/v1/batches/:batchId', async (request) => {
    const { batchId } = request.params;
    const run = await deps.runs.read(batchWorkflowId(batchId));
    const temporalUrl = temporalUiLink(deps.temporalUiUrl, deps.runs.client.options.namespace, run);
    const result = run.result as BatchResult | undefined;
    const progress = result?.orders
      ? countsOf(result.orders)
      : await queryProgress(deps, run.workflowId).then((p) => p && runningCounts(p));
    return { batchId, ...run, progress, temporalUrl };
  });

  // The per-order report of a batch that ended; a running batch reports its orders when it ends.
  app.get<BatchIdRoute>('/v1/batches/:batchId/orders', async (request) => {
    const run = await deps.runs.read(batchWorkflowId(request.params.batchId));
    return pageOfOrders((run.result as BatchResult | undefined)?.orders ?? [], request.query);
  });

  refuseOtherMethods(app, '/v1/batches', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/batches/:batchId', ['GET']);
  refuseOtherMethods(app, '/v1/batches/:batchId/orders', ['GET']);
}

function summaryOf({ workflowId, runId, status, startedAt, closedAt }: RunView) {
  return { workflowId, runId, status, startedAt, closedAt };
}

async function queryProgress(deps: ApiDeps, workflowId: string): Promise<BatchProgress | undefined> {
  return deps.runs.client.workflow
    .getHandle(workflowId)
    .query<BatchProgress>(BATCH_PROGRESS_QUERY)
    .catch(() => undefined);
}
