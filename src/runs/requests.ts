// Turns what a caller asked for (a script run, a payment, a batch) into exactly one workflow start,
// validating everything first so bad input starts nothing.
import { requestKey, runPolicy, validateArgs, type ScriptRegistry } from '../config/scripts.js';
import { InvalidRequestError } from '../errors.js';
import {
  PAYMENT_SCRIPT,
  WorkflowTypes,
  batchWorkflowId,
  paymentWorkflowId,
  type OrchestratorInput,
  type ScriptArgs,
  type ScriptRunInput,
} from '../workflows/contract.js';
import { validateKey } from './keys.js';

/** What a key stands for; two requests are the same when their canonical forms are equal. */
export interface CanonicalRequest {
  script: string;
  args: ScriptArgs | { orders: OrchestratorInput['orders'] } | { argv: string[] };
}

export interface StartSpec {
  workflowId: string;
  workflowType: string;
  input: unknown;
  request: CanonicalRequest;
  taskQueue: string;
}

// A batch's history holds a start and a result per order (about 3.4 events an order in memory, 5.3 with the
// file): 1,000 orders stay far below Temporal's history limits (51,200 events, 50 MB). Larger batches
// need continue-as-new, which the orchestrator does not do yet.
export const BATCH_MAX_ORDERS = 1_000;
const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function scriptRunSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  req: { script: unknown; args: unknown; key?: unknown },
): StartSpec {
  if (typeof req.script !== 'string')
    throw new InvalidRequestError('"script" must name a registered script.', 'script');
  const spec = registry.get(req.script);
  const args = validateArgs(spec, req.args ?? {});
  const key = validateKey(requestKey(spec, args, req.key));
  const input: ScriptRunInput = { script: spec.name, args, key, policy: runPolicy(spec) };
  return {
    workflowId: key,
    workflowType: WorkflowTypes.script,
    input,
    request: { script: spec.name, args },
    taskQueue,
  };
}

export function paymentSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  order: { orderId: unknown; amount: unknown },
): StartSpec {
  const spec = registry.get(PAYMENT_SCRIPT);
  const args = validateArgs(spec, { orderId: order.orderId, amount: order.amount });
  const workflowId = validateKey(paymentWorkflowId(String(args.orderId)), 'orderId');
  return {
    workflowId,
    workflowType: WorkflowTypes.payment,
    input: { orderId: args.orderId, amount: args.amount, policy: runPolicy(spec) },
    request: { script: spec.name, args },
    taskQueue,
  };
}

export function batchSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  batch: { batchId: unknown; orders: unknown; maxConcurrent?: unknown },
): StartSpec {
  if (typeof batch.batchId !== 'string' || !BATCH_ID.test(batch.batchId)) {
    throw new InvalidRequestError(
      '"batchId" must be 1-100 letters, digits, . _ or -, starting with a letter or digit.',
      'batchId',
    );
  }
  if (!Array.isArray(batch.orders) || batch.orders.length === 0) {
    throw new InvalidRequestError('"orders" must be a non-empty array of {orderId, amount}.', 'orders');
  }
  if (batch.orders.length > BATCH_MAX_ORDERS) {
    throw new InvalidRequestError(`A batch holds at most ${BATCH_MAX_ORDERS} orders; split it.`, 'orders');
  }
  const spec = registry.get(PAYMENT_SCRIPT);
  const seen = new Set<string>();
  const orders = batch.orders.map((order: unknown, i) => {
    const o = (typeof order === 'object' && order !== null ? order : {}) as Record<string, unknown>;
    let args: ScriptArgs;
    try {
      args = validateArgs(spec, o);
    } catch (err) {
      const e = err as InvalidRequestError;
      throw new InvalidRequestError(
        `orders[${i}]: ${e.message}`,
        `orders[${i}].${e.field?.replace(/^args\./, '') ?? ''}`,
      );
    }
    const orderId = String(args.orderId);
    if (seen.has(orderId))
      throw new InvalidRequestError(
        `orders[${i}]: order "${orderId}" appears twice.`,
        `orders[${i}].orderId`,
      );
    seen.add(orderId);
    validateKey(paymentWorkflowId(orderId), `orders[${i}].orderId`);
    return { orderId, amount: args.amount as number };
  });
  const maxConcurrent = batch.maxConcurrent;
  if (
    maxConcurrent !== undefined &&
    (!Number.isInteger(maxConcurrent) || (maxConcurrent as number) < 1 || (maxConcurrent as number) > 1000)
  ) {
    throw new InvalidRequestError('"maxConcurrent" must be a whole number from 1 to 1000.', 'maxConcurrent');
  }
  const input: OrchestratorInput = {
    batchId: batch.batchId,
    orders,
    policy: runPolicy(spec),
    ...(maxConcurrent !== undefined ? { maxConcurrent: maxConcurrent as number } : {}),
  };
  return {
    workflowId: batchWorkflowId(batch.batchId),
    workflowType: WorkflowTypes.orchestrator,
    input,
    request: { script: PAYMENT_SCRIPT, args: { orders } },
    taskQueue,
  };
}
