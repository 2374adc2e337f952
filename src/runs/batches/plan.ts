// What a batch would do before it charges anything: its bad orders or rows, as checkBatch lists them, and each
// good order's key `payment-<orderId>` (each row's key) looked up in the key store (a page of them a query)
// and compared with its request, the way the batch's start-or-attach would; keys the store lacks are checked
// in Temporal's visibility, a page a query, for workflows that are not SuperScript runs holding their IDs.
import type { ScriptRegistry } from '../../config/scripts.js';
import { KeyConflictError } from '../../errors.js';
import { hasEnded } from '../../keystore/record.js';
import { assertStandsFor } from '../fingerprint.js';
import { isOwnRun, type RunSource } from '../read.js';
import { itemFields } from '../../shared/batches.js';
import { itemSpec, type CheckedBatch } from './specs.js';
import type { KeySpec } from '../start-or-attach.js';
import type { KeyRecord } from '../../shared/schemas/keys.js';
import type { BatchPlanReport, PlannedOrder, PlannedStatus } from '../../shared/schemas/batches.js';
import type { RunStatus } from '../../shared/schemas/runs.js';

/**
 * Orders looked up at once: one key store query, and one visibility query for the keys it lacks, a page.
 * A plan's work grows with its orders, two queries a page, and asks Temporal nothing per order.
 */
const PAGE = 200;

export async function planBatch(
  src: RunSource,
  registry: ScriptRegistry,
  { script, items, bad }: CheckedBatch,
  signal?: AbortSignal,
): Promise<BatchPlanReport> {
  const planned: PlannedOrder[] = [];
  for (let at = 0; at < items.length; at += PAGE) {
    signal?.throwIfAborted();
    const page = items.slice(at, at + PAGE).map((item) => itemSpec(registry, src.taskQueue, script, item));
    const records = await src.keys.getMany(page.map((spec) => spec.workflowId));
    const squatted = await heldByOthers(
      src,
      page.map((spec) => spec.workflowId).filter((id) => !records.has(id)),
    );
    page.forEach((spec, i) => {
      const base = { ...itemFields(items[at + i]!), workflowId: spec.workflowId };
      planned.push(
        squatted.has(spec.workflowId)
          ? { ...base, status: 'conflict', message: NOT_OURS(spec.workflowId) }
          : planOrder(spec, base, records.get(spec.workflowId)),
      );
    });
  }
  const count = (s: PlannedStatus) => planned.filter((o) => o.status === s).length;
  return {
    total: items.length,
    counts: {
      new: count('new'),
      alreadyDone: count('already_done'),
      inFlight: count('in_flight'),
      conflict: count('conflict'),
      bad: bad.length,
    },
    orders: planned,
    bad,
  };
}

const NOT_OURS = (id: string) =>
  `Key "${id}" is held by a Temporal workflow that is not a SuperScript run. Use another key.`;

/**
 * Of keys the store does not have, those whose workflow ID an open workflow that is not a SuperScript run
 * holds (the batch would be refused them): one visibility query for the whole page.
 */
async function heldByOthers(src: RunSource, ids: readonly string[]): Promise<Set<string>> {
  const held = new Set<string>();
  if (ids.length === 0) return held;
  // Keys are checked (letters, digits and . _ : @ = + -), so they quote safely.
  const query = `WorkflowId IN (${ids.map((id) => `'${id}'`).join(', ')}) AND ExecutionStatus = 'Running'`;
  for await (const info of src.client.workflow.list({ query, pageSize: ids.length })) {
    if (!isOwnRun(src, info)) held.add(info.workflowId);
  }
  return held;
}

/** Where one order (or row) stands, as start-or-attach would find its key. */
function planOrder(
  spec: KeySpec,
  base: Pick<PlannedOrder, 'orderId' | 'amount' | 'args' | 'workflowId'>,
  record: KeyRecord | undefined,
): PlannedOrder {
  if (!record) return { ...base, status: 'new' };
  try {
    assertStandsFor(spec, record);
  } catch (err) {
    // Told to whoever may plan a batch of this script: not what another script's run holds the key.
    if (err instanceof KeyConflictError)
      return { ...base, status: 'conflict', message: err.toReaderOf(spec.request.script).message };
    throw err;
  }
  const runId = record.runId ?? undefined;
  if (!hasEnded(record.state)) return { ...base, status: 'in_flight', outcome: 'running', runId };
  return { ...base, status: 'already_done', outcome: record.state as RunStatus, runId };
}
