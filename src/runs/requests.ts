// Turns what a caller asked for (a script run, a payment, a batch) into exactly one workflow start,
// validating everything first so bad input starts nothing.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { keyFromTemplate, runPolicy, validateArgs, type ScriptRegistry } from '../config/scripts.js';
import { InvalidRequestError, RunStateError } from '../errors.js';
import {
  EXEC_SCRIPT,
  PAYMENT_SCRIPT,
  WorkflowTypes,
  batchWorkflowId,
  paymentWorkflowId,
  type CanonicalRequest,
  type OrchestratorInput,
  type RunExtras,
  type RunPolicy,
  type ScriptArgs,
  type ScriptRunInput,
  type WorkflowInputs,
  type WorkflowType,
} from '../workflows/contract.js';
import { validateKey } from './keys.js';
import { requestOf } from './view.js';

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
  };
}[T];

// A batch's history holds a start and a result per order (about 3.4 events an order in memory, 5.3 with the
// file): 1,000 orders stay far below Temporal's history limits (51,200 events, 50 MB). Larger batches
// need continue-as-new, which the orchestrator does not do yet.
export const BATCH_MAX_ORDERS = 1_000;
const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

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
  const key = validateKey(req.key ?? keyFromTemplate(spec, args));
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

export function batchSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  batch: { batchId: unknown; orders: unknown; maxConcurrent?: unknown },
): StartSpec<'OrchestratorWorkflow'> {
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

/** A script or payment run's start: what a retry or a resolve starts again under the same key. */
export type RerunSpec = StartSpec<'ScriptRunWorkflow' | 'SinglePaymentCollectionWorkflow'>;

/** The start of the request `previous` recorded, again under its key, with `extras` (a retry or a resolve). */
export function rerunSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  previous: WorkflowExecutionDescription,
  extras: InputExtras,
): RerunSpec {
  const { workflowId } = previous;
  const request = requestOf(previous);
  if (request?.script === EXEC_SCRIPT) {
    throw new RunStateError(
      `Run "${workflowId}" is a \`superscript exec\` run: its command runs where exec runs. Retry it there with \`superscript exec --retry --key ${workflowId} -- COMMAND\`.`,
    );
  }
  if (previous.type === WorkflowTypes.payment && request && 'orderId' in request.args) {
    const { orderId, amount } = request.args;
    return paymentSpec(registry, taskQueue, { orderId, amount }, extras);
  }
  if (previous.type === WorkflowTypes.script && request) {
    return scriptRunSpec(
      registry,
      taskQueue,
      { script: request.script, args: request.args, key: workflowId },
      extras,
    );
  }
  throw new RunStateError(
    `Run "${workflowId}" (${previous.type}) records no SuperScript request to run again; only script and payment runs can be retried.`,
  );
}
