// What SuperScript reads back from Temporal (a run's request memo, its input, its result or failure
// details, a batch's query answers), checked before anything uses it. Anyone who can reach the namespace can
// start SuperScript's workflow types on its task queue with anything in those places, so what does not
// parse is not SuperScript's: the run reads as foreign (Temporal's own status and times, nothing from the
// part that did not parse) instead of failing a listing, a read or a batch page.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { z } from 'zod';
import { REQUEST_MEMO } from '../shared/runs.js';
import {
  BatchPartResult,
  BatchResult,
  BatchState,
  DecisionState,
  OrderCounts,
  PartPage,
} from '../shared/schemas/batches.js';
import { CanonicalRequest, ResolveOf, RetryOf, RunResult } from '../shared/schemas/runs.js';
import { PermitHolder } from '../shared/schemas/semaphore.js';

// The canonical request is strict (the key's fingerprint is compared as written); the others drop fields they
// do not know, so a newer worker's results still read in an older API.
const runExtras = z.object({ retryOf: RetryOf.optional(), resolve: ResolveOf.optional() });

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
  return storedRequest(info.memo?.[REQUEST_MEMO]);
}

/** A canonical request as written (a memo's, a batch result's `request`); none when there is none. */
export function storedRequest(raw: unknown): StoredRequest {
  if (raw === undefined) return {};
  let json: unknown;
  try {
    json = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    return { foreign: true };
  }
  const request = parsed(CanonicalRequest, json);
  return request ? { request } : { foreign: true };
}

/** A workflow's result: a script run's, a batch's or a batch part's; undefined for anything else. */
export function storedResult(value: unknown): RunResult | BatchResult | BatchPartResult | undefined {
  return parsed(RunResult, value) ?? parsed(BatchResult, value) ?? parsed(BatchPartResult, value);
}

/** The RunResult a failed script run carries as its failure's details. */
export function storedRunResult(value: unknown): RunResult | undefined {
  return parsed(RunResult, value);
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
  batchState: (value: unknown) => parsed(BatchState, value),
  decisionState: (value: unknown) => parsed(DecisionState, value),
  orderCounts: (value: unknown) => parsed(OrderCounts, value),
  partPage: (value: unknown) => parsed(PartPage, value),
  permitHolders: (value: unknown) => parsed(z.array(PermitHolder), value),
};
