// Reading and cancelling a batch: its status and progress at any time (while it runs, across
// continue-as-new, after it ends), and its orders (or rows) page by page from its parts.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { InvalidRequestError, RunNotFoundError, RunStateError } from '../../errors.js';
import {
  BATCH_STATE_QUERY,
  BatchSignals,
  PART_COUNTS_QUERY,
  PART_ORDERS_QUERY,
  addCounts,
  itemFields,
  itemKey,
  orderStatus,
  pageOfPart,
  progressOf,
  type CancelBatch,
} from '../../shared/batches.js';
import { batchPartWorkflowId, batchWorkflowId } from '../../shared/ids.js';
import { WorkflowTypes } from '../../shared/workflow-types.js';
import { awaitOutcome } from '../outcome.js';
import { describeRun, runExists, type RunSource } from '../read.js';
import { isBatchPartResult, isBatchResult, requestOf, storedAnswer } from '../stored.js';
import type {
  BatchOrderView,
  BatchState,
  BatchView,
  OrderStatus,
  OrdersPage,
  OrdersQuery,
  PartPage,
} from '../../shared/schemas/batches.js';

export async function readBatch(src: RunSource, batchId: string): Promise<BatchView> {
  const d = await describeBatch(src, batchId);
  const base = {
    batchId,
    workflowId: d.workflowId,
    runId: d.runId,
    ...requestOf(d),
    startedAt: d.startTime.toISOString(),
    closedAt: d.closeTime?.toISOString(),
  };
  if (d.status.name !== 'RUNNING') {
    const ended = await awaitOutcome(src.client, d.workflowId, d.runId, Infinity);
    const result = ended.result;
    if (isBatchResult(result)) {
      const status = result.cancelled ? 'cancelled' : 'succeeded';
      return { ...base, status, startedAt: result.startedAt, progress: result.progress };
    }
    if (ended.foreign) return { ...base, status: ended.status, message: ended.message, foreign: true };
    // Failed or terminated: its last state, read by replaying it, when a worker is there to do so.
    const state = await batchState(src, d.workflowId).catch(() => undefined);
    return {
      ...base,
      status: ended.status,
      message: ended.message,
      ...(state === FOREIGN
        ? { foreign: true }
        : state && { startedAt: state.startedAt, progress: progressOf(state.total, state.reported) }),
    };
  }
  // The coordinator first, then its running part: a part that ends in between is counted once.
  const state = await batchState(src, d.workflowId).catch(() => undefined);
  const live =
    state && state !== FOREIGN && state.currentPart
      ? await ask(src, state.currentPart, undefined, storedAnswer.orderCounts, PART_COUNTS_QUERY).catch(
          () => undefined,
        )
      : undefined;
  if (state === FOREIGN || live === FOREIGN) return { ...base, status: 'running', foreign: true };
  if (!state || (state.currentPart && !live)) {
    // Queries need a worker: without one the batch is still there, its progress is not known right now.
    return { ...base, status: 'running', message: 'Progress is unknown right now: no worker answered.' };
  }
  return {
    ...base,
    status: 'running',
    startedAt: state.startedAt,
    progress: progressOf(state.total, live ? addCounts(state.reported, live) : state.reported),
  };
}

/** Parts read per request at most: a page filtered for a rare status may come back short, with a cursor. */
const PARTS_PER_PAGE = 20;

export async function listBatchOrders(src: RunSource, batchId: string, q: OrdersQuery): Promise<OrdersPage> {
  const { status, limit } = q;
  let { part, index } = decodeCursor(q.cursor);
  await describeBatch(src, batchId);
  const orders: BatchOrderView[] = [];
  let foreign: true | undefined;
  for (let read = 0; orders.length < limit && read < PARTS_PER_PAGE; read++) {
    const page = await partPage(
      src,
      batchPartWorkflowId(batchId, part),
      index,
      limit - orders.length,
      status,
    );
    if (!page) return { orders, foreign }; // past the last part
    if (page === FOREIGN) {
      [foreign, part, index] = [true, part + 1, 0];
      continue;
    }
    for (const { order, report } of page.entries)
      orders.push({
        ...itemFields(order),
        workflowId: report?.workflowId ?? itemKey(order),
        status: orderStatus(report),
        ...report,
      });
    if (page.next !== undefined) index = page.next;
    else [part, index] = [part + 1, 0];
  }
  // At the start of a part that does not exist, this was the last page.
  if (index === 0 && !(await runExists(src, batchPartWorkflowId(batchId, part)))) return { orders, foreign };
  return { orders, nextCursor: encodeCursor(part, index), foreign };
}

export async function cancelBatch(src: RunSource, batchId: string, req: CancelBatch): Promise<BatchView> {
  const d = await describeBatch(src, batchId);
  if (d.status.name !== 'RUNNING')
    throw new RunStateError(
      `Batch "${batchId}" has already ended (${d.status.name.toLowerCase()}); there is nothing to cancel.`,
    );
  await src.client.workflow.getHandle(d.workflowId).signal(BatchSignals.cancel, req);
  return readBatch(src, batchId);
}

async function describeBatch(src: RunSource, batchId: string): Promise<WorkflowExecutionDescription> {
  const workflowId = batchWorkflowId(batchId);
  const d = await describeRun(src, workflowId);
  if (d.type !== WorkflowTypes.orchestrator) throw new RunNotFoundError(workflowId);
  return d;
}

/** Marks a query answer that none of SuperScript's workflows gives. */
const FOREIGN = Symbol('foreign');

/** A workflow's answer to a query, checked by `check`; rejects when none comes (no worker to answer). */
async function ask<T>(
  src: RunSource,
  workflowId: string,
  runId: string | undefined,
  check: (answer: unknown) => T | undefined,
  query: string,
  ...args: unknown[]
): Promise<T | typeof FOREIGN> {
  const answer = await src.client.workflow
    .getHandle(workflowId, runId)
    .query<unknown, unknown[]>(query, ...args);
  return check(answer) ?? FOREIGN;
}

function batchState(src: RunSource, workflowId: string): Promise<BatchState | typeof FOREIGN> {
  return ask(src, workflowId, undefined, storedAnswer.batchState, BATCH_STATE_QUERY);
}

/**
 * A page of one part's orders; undefined if the batch has no such part, FOREIGN if what the part holds or
 * answers is not SuperScript's.
 */
async function partPage(
  src: RunSource,
  workflowId: string,
  offset: number,
  limit: number,
  status?: OrderStatus,
): Promise<PartPage | typeof FOREIGN | undefined> {
  let d: WorkflowExecutionDescription;
  try {
    d = await describeRun(src, workflowId);
  } catch (err) {
    if (err instanceof RunNotFoundError) return undefined;
    throw err;
  }
  if (d.status.name !== 'RUNNING') {
    const ended = await awaitOutcome(src.client, workflowId, d.runId, Infinity);
    const result = ended.result;
    if (isBatchPartResult(result)) return pageOfPart(result.orders, result.reports, offset, limit, status);
    if (ended.foreign) return FOREIGN;
  }
  // Running, or ended without a result: ask the part itself (a closed one answers by replaying).
  return ask(src, workflowId, d.runId, storedAnswer.partPage, PART_ORDERS_QUERY, offset, limit, status);
}

function encodeCursor(part: number, index: number): string {
  return Buffer.from(`${part}.${index}`).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { part: number; index: number } {
  if (cursor === undefined) return { part: 0, index: 0 };
  const m = /^(\d{1,9})\.(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidRequestError('"cursor" is not one this API gave out; start without it.', 'cursor');
  return { part: Number(m[1]), index: Number(m[2]) };
}
