// A batch's starts: its orders checked as payments (or its rows as runs of their script), cut into parts
// (each holding up to a part's worth of them as its input), and its coordinator, which holds only counts and
// a digest of them.
import { createHash } from 'node:crypto';
import { validateArgs, type ScriptRegistry, type ScriptSpec } from '../../config/scripts.js';
import { InvalidRequestError } from '../../errors.js';
import { batchRequest, isScriptRow, type OrchestratorInput } from '../../shared/batches.js';
import { batchPartWorkflowId, batchWorkflowId } from '../../shared/ids.js';
import { PAYMENT_SCRIPT, canonicalJson } from '../../shared/runs.js';
import type {
  BadEntry,
  BatchItem,
  BatchOrder,
  BatchRequest,
  ScriptRow,
} from '../../shared/schemas/batches.js';
import type { ScriptArgs } from '../../shared/schemas/runs.js';
import { WorkflowTypes } from '../../shared/workflow-types.js';
import {
  keyedSpec,
  paymentKey,
  paymentScript,
  paymentSpec,
  type InputExtras,
  type RerunSpec,
  type StartSpec,
} from '../requests.js';

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
  const { script, items } = checkBatch(registry, taskQueue, batch);
  const chunks: BatchItem[][] = [];
  for (let i = 0; i < items.length; i += shape.partSize) chunks.push(items.slice(i, i + shape.partSize));
  const parts = chunks.map((chunk, part): StartSpec<'BatchPartWorkflow'> => ({
    workflowId: batchPartWorkflowId(batchId, part),
    workflowType: WorkflowTypes.batchPart,
    input: { batchId, part, orders: chunk, ...(script !== undefined ? { script } : {}) },
    request: {
      script: script ?? PAYMENT_SCRIPT,
      args: { part, orders: chunk.length, ordersSha256: sha256(chunk) },
    },
    taskQueue,
  }));
  const ordersSha256 = sha256(items);
  const input: OrchestratorInput = {
    batchId,
    parts: parts.length,
    total: items.length,
    ordersSha256,
    continueAsNewAfter: shape.continueAsNewAfter,
    ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
    ...(script !== undefined ? { script } : {}),
  };
  return {
    batchId,
    parts,
    coordinator: {
      workflowId: batchWorkflowId(batchId),
      workflowType: WorkflowTypes.orchestrator,
      input,
      request: batchRequest(items.length, ordersSha256, script),
      taskQueue,
    },
  };
}

/**
 * A batch's entries checked: payment orders (no `script`), or the rows of `script`, each with the key it
 * runs under.
 */
export interface CheckedBatch {
  script?: string;
  items: BatchItem[];
  /** Rows (or orders) refused, when the caller asked to see them all (a plan) rather than the first. */
  bad: BadEntry[];
}

/**
 * Every order or row of a batch checked by the registry as its single request would be; no key may appear
 * twice. A bad one is refused, named by its index, unless `allBad` (a plan): then each is listed and left
 * out. Orders are the payment script's; rows any script's.
 */
export function checkBatch(
  registry: ScriptRegistry,
  taskQueue: string,
  request: Pick<BatchRequest, 'script' | 'orders' | 'rows'>,
  allBad = false,
): CheckedBatch {
  const { script, orders, rows } = request;
  const bad: BadEntry[] = [];
  const each = <T, R>(list: readonly T[], label: string, check: (entry: T, i: number) => R): R[] =>
    list.flatMap((entry, i) => {
      try {
        return [atRow(`${label}[${i}]`, () => check(entry, i))];
      } catch (err) {
        if (!allBad || !(err instanceof InvalidRequestError)) throw err;
        bad.push({ index: i, message: err.message, ...(err.field ? { field: err.field } : {}) });
        return [];
      }
    });
  if (orders) {
    if (script !== undefined && script !== PAYMENT_SCRIPT)
      throw new InvalidRequestError(
        `orders are the payment script's ("${PAYMENT_SCRIPT}"); send the rows of "${script}" as rows of {args, key?}.`,
        'orders',
      );
    const payment = paymentScript(registry);
    const once = onceEach('orders', 'orderId');
    const items = each(orders, 'orders', (order, i) => once(paymentOrder(payment, order), i, order.orderId));
    return { items, bad };
  }
  const name = script ?? PAYMENT_SCRIPT;
  registry.get(name); // an unknown script is refused before any row
  const once = onceEach('rows', 'key');
  const items = each(rows ?? [], 'rows', (row, i): ScriptRow => {
    const spec = keyedSpec(registry, taskQueue, { script: name, ...row });
    return once({ key: spec.workflowId, args: spec.request.args as ScriptArgs }, i, spec.workflowId);
  });
  return { script: name, items, bad };
}

/** Passes each entry on, refusing one whose key an earlier one has: each key runs once, so each is sent once. */
function onceEach(label: 'orders' | 'rows', field: 'orderId' | 'key') {
  const seen = new Map<string, number>();
  return <T>(entry: T, i: number, key: string): T => {
    const earlier = seen.get(key);
    if (earlier !== undefined)
      throw new InvalidRequestError(
        `${field === 'key' ? 'key' : 'order'} "${key}" appears twice (also ${label}[${earlier}]); each key runs once, so send it once.`,
        field,
      );
    seen.set(key, i);
    return entry;
  };
}

/** The start of one order or row, as its single request would make it (by this registry, its rules). */
export function itemSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  script: string | undefined,
  item: BatchItem,
  extras: InputExtras = {},
): RerunSpec {
  return isScriptRow(item)
    ? keyedSpec(registry, taskQueue, { script: script ?? PAYMENT_SCRIPT, ...item }, extras)
    : paymentSpec(registry, taskQueue, item, extras);
}

/** An order checked as a payment request (the schema has checked its shape and that none appears twice). */
function paymentOrder(payment: ScriptSpec, order: BatchOrder): BatchOrder {
  const args = validateArgs(payment, order);
  const orderId = String(args.orderId);
  paymentKey(orderId, 'orderId');
  return { orderId, amount: args.amount as number };
}

/** `check`'s refusal, named by the row it is about (`orders[3]: ...`, field `orders[3].amount`). */
function atRow<T>(row: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    // An order's fields are its own; a row's arguments stay under `args`, as in its request.
    const field = row.startsWith('orders') ? err.field?.replace(/^args\./, '') : err.field;
    throw new InvalidRequestError(`${row}: ${err.message}`, `${row}${field ? `.${field}` : ''}`);
  }
}

function sha256(items: BatchItem[]): string {
  return createHash('sha256').update(canonicalJson(items)).digest('hex');
}
