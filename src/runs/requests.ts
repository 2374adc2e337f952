// Turns what a caller asked for (a script run, a payment, a batch) into the workflow starts it needs,
// validating everything first so bad input starts nothing.
import { createHash } from 'node:crypto';
import { requestKey, runPolicy, validateArgs, type ScriptRegistry } from '../config/scripts.js';
import { InvalidRequestError, RunStateError } from '../errors.js';
import { batchRequest, type OrchestratorInput } from '../shared/batches.js';
import { batchPartWorkflowId, batchWorkflowId, paymentWorkflowId } from '../shared/ids.js';
import {
  EXEC_SCRIPT,
  PAYMENT_SCRIPT,
  canonicalJson,
  type RunExtras,
  type RunPolicy,
  type ScriptRunInput,
} from '../shared/runs.js';
import { WorkflowTypes, type WorkflowInputs, type WorkflowType } from '../shared/workflow-types.js';
import { validateKey } from './keys.js';
import type { BatchOrder, BatchRequest } from '../shared/schemas/batches.js';
import type { CanonicalRequest, ScriptArgs } from '../shared/schemas/runs.js';
import type { KeyRecord } from '../shared/schemas/keys.js';

/** What a run's input may carry beside its request: how it came to be started, and a resolve's own policy. */
export type InputExtras = RunExtras & { policy?: RunPolicy };

/** One workflow start: its type with the input that type takes, under the key's workflow ID. */
export type StartSpec<T extends WorkflowType = WorkflowType> = {
  [K in T]: {
    workflowId: string;
    workflowType: K;
    input: WorkflowInputs[K];
    request: CanonicalRequest;
    taskQueue: string;
    /**
     * Who starts it, recorded in the run's memo, when one caller may start it more than once (a batch's
     * activity, retried): a start that finds the run its own starter made still reports `executed`.
     */
    starter?: string;
  };
}[T];

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

export function scriptRunSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  req: { script: unknown; args: unknown; key?: unknown },
  extras: InputExtras = {},
): StartSpec<'ScriptRunWorkflow'> {
  if (typeof req.script !== 'string')
    throw new InvalidRequestError('"script" must name a registered script.', 'script');
  const spec = registry.get(req.script);
  const args = validateArgs(spec, req.args ?? {});
  const key = validateKey(requestKey(spec, args, req.key));
  registry.assertKeyFor(spec.name, key);
  const input: ScriptRunInput = { script: spec.name, args, key, policy: runPolicy(spec), ...extras };
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
  extras: InputExtras = {},
): StartSpec<'SinglePaymentCollectionWorkflow'> {
  const spec = registry.get(PAYMENT_SCRIPT);
  const args = validateArgs(spec, { orderId: order.orderId, amount: order.amount });
  const workflowId = validateKey(paymentWorkflowId(String(args.orderId)), 'orderId');
  return {
    workflowId,
    workflowType: WorkflowTypes.payment,
    input: {
      orderId: String(args.orderId),
      amount: Number(args.amount),
      policy: runPolicy(spec),
      ...extras,
    },
    request: { script: spec.name, args },
    taskQueue,
  };
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
  const spec = registry.get(PAYMENT_SCRIPT);
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
    validateKey(paymentWorkflowId(orderId), `orders[${i}].orderId`);
    return { orderId, amount: args.amount as number };
  });
}

function sha256(orders: BatchOrder[]): string {
  return createHash('sha256').update(canonicalJson(orders)).digest('hex');
}

/** A script or payment run's start: what a retry or a resolve starts again under the same key. */
export type RerunSpec = StartSpec<'ScriptRunWorkflow' | 'SinglePaymentCollectionWorkflow'>;

/** The start of the request a key stands for, again under the key, with `extras` (a retry or a resolve). */
export function rerunSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  previous: KeyRecord,
  extras: InputExtras,
): RerunSpec {
  const { key } = previous;
  const request = JSON.parse(previous.request) as CanonicalRequest;
  if (request.script === EXEC_SCRIPT) {
    throw new RunStateError(
      `Run "${key}" is a \`superscript exec\` run: its command runs where exec runs. Retry it there with \`superscript exec --retry --key ${key} -- COMMAND\`.`,
    );
  }
  const args = request.args as ScriptArgs;
  // A payment's key is its order's: it runs again as the payment workflow, as the original design has it.
  if (request.script === PAYMENT_SCRIPT && key === paymentWorkflowId(String(args.orderId))) {
    return paymentSpec(registry, taskQueue, { orderId: args.orderId, amount: args.amount }, extras);
  }
  return scriptRunSpec(registry, taskQueue, { script: request.script, args, key }, extras);
}
