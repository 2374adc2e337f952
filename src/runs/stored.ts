// What SuperScript reads back from Temporal (a run's request memo, its input, its result or failure
// details, a batch's query answers), checked before anything uses it. Anyone who can reach the namespace can
// start SuperScript's workflow types on its task queue with anything in those places, so what does not
// parse is not SuperScript's: the run reads as foreign (Temporal's own status and times, nothing from the
// part that did not parse) instead of failing a listing, a read or a batch page.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { z } from 'zod';
import { RunResultSchema } from '../keystore/record.js';
import type { BatchPartResult, BatchResult, BatchState, OrderCounts, PartPage } from '../shared/batches.js';
import {
  REQUEST_MEMO,
  type CanonicalRequest,
  type ResolveOf,
  type RetryOf,
  type RunResult,
} from '../shared/runs.js';
import type { PermitHolder } from '../shared/semaphore.js';

const outcome = z.enum(['succeeded', 'failed', 'timed_out', 'cancelled', 'terminated', 'outcome_unknown']);
const count = z.number().int().nonnegative();

// Strict: SuperScript writes exactly this, and the key's fingerprint is compared as written.
const canonicalRequest: z.ZodType<CanonicalRequest> = z.strictObject({
  script: z.string(),
  args: z.union([
    z.strictObject({ argv: z.array(z.string()) }),
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  ]),
});

// The others drop fields they do not know, so a newer worker's results still read in an older API.
const runResult: z.ZodType<RunResult> = RunResultSchema;

const orderCounts: z.ZodType<OrderCounts> = z.object({
  succeeded: count,
  failed: count,
  unknown: count,
  alreadyDone: count,
  conflict: count,
});

const progress = z.object({
  total: count,
  done: count,
  pending: count,
  succeeded: count,
  failed: count,
  unknown: count,
  alreadyDone: count,
  conflict: count,
});

const batchOrder = z.object({ orderId: z.string(), amount: z.number() });

const orderReport = z.object({
  orderId: z.string(),
  workflowId: z.string(),
  disposition: z.enum(['executed', 'already_done', 'conflict']),
  outcome: z.union([outcome, z.literal('conflict')]),
  runId: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  message: z.string().optional(),
});

const batchResult: z.ZodType<BatchResult> = z.object({
  batchId: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  startedAt: z.string(),
  progress,
  cancelled: z.boolean(),
  request: z.string().optional(),
});

const batchPartResult: z.ZodType<BatchPartResult> = z.object({
  batchId: z.string(),
  part: count,
  orders: z.array(batchOrder),
  reports: z.array(orderReport.nullable()),
  progress,
});

const batchState: z.ZodType<BatchState> = z.object({
  batchId: z.string(),
  total: count,
  parts: count,
  startedAt: z.string(),
  reported: orderCounts,
  currentPart: z.string().optional(),
  cancelling: z.boolean(),
});

const partPage: z.ZodType<PartPage> = z.object({
  entries: z.array(z.object({ index: count, order: batchOrder, report: orderReport.nullable() })),
  next: count.optional(),
});

const permitHolders: z.ZodType<PermitHolder[]> = z.array(
  z.object({ workflowId: z.string(), runId: z.string() }),
);

const runExtras = z.object({
  retryOf: z.object({ runId: z.string(), by: z.string(), reason: z.string().optional() }).optional(),
  resolve: z.object({ runId: z.string(), by: z.string() }).optional(),
});

/** A value of a shape SuperScript writes, or undefined when it is not one. */
function parsed<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/** What a run's memo says it was started for: its request, or `foreign` when the memo holds another. */
export interface StoredRequest {
  request?: CanonicalRequest;
  foreign?: true;
}

/** The canonical request in a run's memo; none for a run whose memo records none (started outside SuperScript). */
export function requestOf(info: Pick<WorkflowExecutionInfo, 'memo'>): StoredRequest {
  const raw = info.memo?.[REQUEST_MEMO];
  if (raw === undefined) return {};
  let json: unknown;
  try {
    json = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    return { foreign: true };
  }
  const request = parsed(canonicalRequest, json);
  return request ? { request } : { foreign: true };
}

/** A workflow's result: a script run's, a batch's or a batch part's; undefined for anything else. */
export function storedResult(value: unknown): RunResult | BatchResult | BatchPartResult | undefined {
  return parsed(runResult, value) ?? parsed(batchResult, value) ?? parsed(batchPartResult, value);
}

/** The RunResult a failed script run carries as its failure's details. */
export function storedRunResult(value: unknown): RunResult | undefined {
  return parsed(runResult, value);
}

/** The retry or resolve recorded in a run's input; undefined when the input is not one SuperScript writes. */
export function storedExtras(input: unknown): { retryOf?: RetryOf; resolveOf?: ResolveOf } | undefined {
  const extras = parsed(runExtras, input);
  return extras && { retryOf: extras.retryOf, resolveOf: extras.resolve };
}

export function isBatchResult(r: RunResult | BatchResult | BatchPartResult | undefined): r is BatchResult {
  return r !== undefined && 'cancelled' in r;
}

export function isBatchPartResult(
  r: RunResult | BatchResult | BatchPartResult | undefined,
): r is BatchPartResult {
  return r !== undefined && 'reports' in r;
}

export function isRunResult(r: RunResult | BatchResult | BatchPartResult | undefined): r is RunResult {
  return r !== undefined && 'outcome' in r;
}

/** Query answers, each undefined when the workflow answered something SuperScript's workflows do not. */
export const storedAnswer = {
  batchState: (value: unknown) => parsed(batchState, value),
  orderCounts: (value: unknown) => parsed(orderCounts, value),
  partPage: (value: unknown) => parsed(partPage, value),
  permitHolders: (value: unknown) => parsed(permitHolders, value),
};
