// A batch's starts: its orders checked as payments, cut into parts (each holding up to a part's worth of
// orders as its input), and its coordinator, which holds only counts and a digest of the orders.
import { createHash } from 'node:crypto';
import { validateArgs, type ScriptRegistry } from '../../config/scripts.js';
import { InvalidRequestError } from '../../errors.js';
import { batchRequest, type OrchestratorInput } from '../../shared/batches.js';
import { batchPartWorkflowId, batchWorkflowId } from '../../shared/ids.js';
import { PAYMENT_SCRIPT, canonicalJson } from '../../shared/runs.js';
import type { BatchOrder, BatchRequest } from '../../shared/schemas/batches.js';
import type { ScriptArgs } from '../../shared/schemas/runs.js';
import { WorkflowTypes } from '../../shared/workflow-types.js';
import { paymentKey, paymentScript, type StartSpec } from '../requests.js';

/** How a batch is cut up; tests make it small to exercise continue-as-new. */
export interface BatchShape {
  /** Orders per part: each part's input, reports and history grow with it. Default: 1,000. */
  partSize: number;
  /** Parts per run of the coordinator before it continues as new. Default: 100. */
  continueAsNewAfter: number;
}

export const DEFAULT_BATCH_SHAPE: BatchShape = { partSize: 1_000, continueAsNewAfter: 100 };

/** A batch's starts: its parts, each holding some of the orders, then its coordinator. */
export interface BatchPlan {
  batchId: string;
  parts: StartSpec<'BatchPartWorkflow'>[];
  coordinator: StartSpec<'OrchestratorWorkflow'>;
}

export function batchPlan(
  registry: ScriptRegistry,
  taskQueue: string,
  batch: BatchRequest & { batchId: string },
  shape: BatchShape = DEFAULT_BATCH_SHAPE,
): BatchPlan {
  const { batchId, maxConcurrent } = batch;
  const orders = paymentOrders(registry, batch.orders);
  const chunks: BatchOrder[][] = [];
  for (let i = 0; i < orders.length; i += shape.partSize) chunks.push(orders.slice(i, i + shape.partSize));
  const parts = chunks.map((chunk, part): StartSpec<'BatchPartWorkflow'> => ({
    workflowId: batchPartWorkflowId(batchId, part),
    workflowType: WorkflowTypes.batchPart,
    input: { batchId, part, orders: chunk },
    request: { script: PAYMENT_SCRIPT, args: { part, orders: chunk.length, ordersSha256: sha256(chunk) } },
    taskQueue,
  }));
  const ordersSha256 = sha256(orders);
  const input: OrchestratorInput = {
    batchId,
    parts: parts.length,
    total: orders.length,
    ordersSha256,
    continueAsNewAfter: shape.continueAsNewAfter,
    ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
  };
  return {
    batchId,
    parts,
    coordinator: {
      workflowId: batchWorkflowId(batchId),
      workflowType: WorkflowTypes.orchestrator,
      input,
      request: batchRequest(orders.length, ordersSha256),
      taskQueue,
    },
  };
}

/**
 * Every order of a batch checked as a payment request by the registry (its schema has checked their shape
 * and that no order appears twice), with the index of the first bad one.
 */
export function paymentOrders(registry: ScriptRegistry, given: readonly BatchOrder[]): BatchOrder[] {
  const spec = paymentScript(registry);
  return given.map((order, i) => {
    let args: ScriptArgs;
    try {
      args = validateArgs(spec, order);
    } catch (err) {
      const e = err as InvalidRequestError;
      throw new InvalidRequestError(
        `orders[${i}]: ${e.message}`,
        `orders[${i}].${e.field?.replace(/^args\./, '') ?? ''}`,
      );
    }
    const orderId = String(args.orderId);
    paymentKey(orderId, `orders[${i}].orderId`);
    return { orderId, amount: args.amount as number };
  });
}

function sha256(orders: BatchOrder[]): string {
  return createHash('sha256').update(canonicalJson(orders)).digest('hex');
}
