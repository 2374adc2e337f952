// Batches: one OrchestratorWorkflow per batch ID, itself started-or-attached like any run.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchSpec } from '../../runs/requests.js';
import {
  BATCH_PROGRESS_QUERY,
  PAYMENT_SCRIPT,
  batchWorkflowId,
  type BatchProgress,
} from '../../workflows/contract.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
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

interface BatchParams {
  batchId: string;
}

const readsBatch = {
  auth: {
    act: 'read',
    workflowId: (r: FastifyRequest) => batchWorkflowId((r.params as BatchParams).batchId),
  },
} as const;

interface BatchRoute {
  Body: { batchId?: string; orders: { orderId: string; amount: number }[]; maxConcurrent?: number };
  Querystring: { wait?: string };
}

export function batchRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const config = { auth: { start: () => PAYMENT_SCRIPT } };
  app.post<BatchRoute>('/v1/batches', { schema: { body: batchSchema }, config }, async (request, reply) => {
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

  app.get<{ Params: BatchParams }>('/v1/batches/:batchId', { config: readsBatch }, async (request) => {
    const workflowId = batchWorkflowId(request.params.batchId);
    const run = await deps.runs.read(workflowId);
    if (run.status !== 'running') return { batchId: request.params.batchId, ...run };
    const progress = await deps.runs.client.workflow
      .getHandle(workflowId)
      .query<BatchProgress>(BATCH_PROGRESS_QUERY)
      .catch(() => undefined);
    return { batchId: request.params.batchId, ...run, progress };
  });

  refuseOtherMethods(app, '/v1/batches', ['POST']);
  refuseOtherMethods(app, '/v1/batches/:batchId', ['GET']);
}
