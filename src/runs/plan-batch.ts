// What a batch would do before it charges anything: each order's run `payment-<orderId>` read through the
// one read path and compared with the order's request, the way the batch's start-or-attach would.
import type { ScriptRegistry } from '../config/scripts.js';
import { KeyConflictError } from '../errors.js';
import type { BatchOrder } from '../workflows/contract.js';
import { assertSameRequest } from './fingerprint.js';
import { awaitOutcome } from './outcome.js';
import { keyHolder, type RunSource } from './read.js';
import { paymentSpec } from './requests.js';
import type { RunStatus } from './view.js';

/** Where an order stands before a batch runs it. */
export type PlannedStatus = 'new' | 'already_done' | 'in_flight' | 'conflict';

export interface PlannedOrder extends BatchOrder {
  workflowId: string;
  status: PlannedStatus;
  /** How its run ended (`already_done`), or `running` (`in_flight`). */
  outcome?: RunStatus;
  runId?: string;
  /** Why a `conflict` is one: what the key holds instead. */
  message?: string;
}

export interface BatchPlanReport {
  total: number;
  counts: { new: number; alreadyDone: number; inFlight: number; conflict: number };
  orders: PlannedOrder[];
}

/** Orders read at once: enough to plan thousands in seconds, few enough not to crowd the frontend. */
const PARALLEL_READS = 16;

export async function planBatch(
  src: RunSource,
  registry: ScriptRegistry,
  orders: readonly BatchOrder[],
  signal?: AbortSignal,
): Promise<BatchPlanReport> {
  const planned: PlannedOrder[] = new Array<PlannedOrder>(orders.length);
  let next = 0;
  const reader = async () => {
    while (next < orders.length) {
      signal?.throwIfAborted();
      const i = next++;
      planned[i] = await planOrder(src, registry, orders[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, orders.length) }, reader));
  const count = (s: PlannedStatus) => planned.filter((o) => o.status === s).length;
  return {
    total: orders.length,
    counts: {
      new: count('new'),
      alreadyDone: count('already_done'),
      inFlight: count('in_flight'),
      conflict: count('conflict'),
    },
    orders: planned,
  };
}

async function planOrder(src: RunSource, registry: ScriptRegistry, order: BatchOrder): Promise<PlannedOrder> {
  const spec = paymentSpec(registry, src.taskQueue, order);
  const base = { ...order, workflowId: spec.workflowId };
  try {
    const d = await keyHolder(src, spec.workflowId);
    if (!d) return { ...base, status: 'new' };
    assertSameRequest(spec, d);
    if (d.status.name === 'RUNNING')
      return { ...base, status: 'in_flight', outcome: 'running', runId: d.runId };
    const ended = await awaitOutcome(src.client, spec.workflowId, d.runId, Infinity);
    return { ...base, status: 'already_done', outcome: ended.status, runId: ended.runId || d.runId };
  } catch (err) {
    if (err instanceof KeyConflictError) return { ...base, status: 'conflict', message: err.message };
    throw err;
  }
}
