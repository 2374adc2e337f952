// Batches: one OrchestratorWorkflow per batch ID, itself started-or-attached like any run.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchSpec } from '../../runs/requests.js';
import { batchProgressQuery, type BatchProgress } from '../../workflows/orchestrator.js';
import { PAYMENT_SCRIPT, batchWorkflowId } from '../../workflows/contract.js';
import { sendRun } from '../respond.js';
import { refuseOtherMethods, type ApiDeps } from '../server.js';
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
    const spec = batchSpec(deps.registry, deps.taskQueue, {
      ...request.body,
      batchId: request.body.batchId ?? randomUUID(),
    });
    const outcome = await deps.runs.startOrAttach(spec, wait);
    const batchId = (spec.input as { batchId: string }).batchId;
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
      .query<BatchProgress>(batchProgressQuery)
      .catch(() => undefined);
    return { batchId: request.params.batchId, ...run, progress };
  });

  refuseOtherMethods(app, '/v1/batches', ['POST']);
  refuseOtherMethods(app, '/v1/batches/:batchId', ['GET']);
}
