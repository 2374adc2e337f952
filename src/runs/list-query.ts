// Builds the listings behind `GET /v1/runs` (the key store's keys) and `GET /v1/batches` (a Temporal
// visibility query), from checked filters only.
import { InvalidRequestError } from '../errors.js';
import type { KeyFilter } from '../keystore/record.js';
import { WorkflowTypes } from '../shared/workflow-types.js';
import type { KeyState } from '../shared/schemas/keys.js';
import type { RunStatus } from '../shared/schemas/runs.js';

// Visibility knows Temporal's statuses only: a script that failed, timed out or ended with its outcome
// unknown fails its workflow alike, so those three are told apart by reading each such run's outcome.
const VISIBILITY_STATUS: Record<RunStatus, string> = {
  running: `ExecutionStatus = 'Running'`,
  succeeded: `ExecutionStatus = 'Completed'`,
  failed: `ExecutionStatus = 'Failed'`,
  timed_out: `ExecutionStatus IN ('Failed', 'TimedOut')`,
  outcome_unknown: `ExecutionStatus = 'Failed'`,
  cancelled: `ExecutionStatus = 'Canceled'`,
  terminated: `ExecutionStatus = 'Terminated'`,
};

export interface RunFilters {
  status?: string;
  script?: string;
  since?: string;
  until?: string;
  limit?: string;
}

/** A listing: the visibility query, how many runs to answer, and the status they must have, if any. */
export interface ListQuery {
  query: string;
  limit: number;
  status?: RunStatus;
}

/** A run's status as the key store's states: a run is `running` from its reservation to its end. */
const KEY_STATES_OF: Record<RunStatus, readonly KeyState[]> = {
  running: ['reserved', 'claimed', 'running'],
  succeeded: ['succeeded'],
  failed: ['failed'],
  timed_out: ['timed_out'],
  outcome_unknown: ['outcome_unknown'],
  cancelled: ['cancelled'],
  terminated: ['terminated'],
};

/**
 * The listing of keys for `f`, limited to `scripts` when given (a token's `run:` scopes). Each key is one
 * line, its latest run: the key store answers it with one indexed query, however many keys there are.
 */
export function keysQuery(f: RunFilters, scripts?: readonly string[]): KeyFilter {
  if (f.script !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(f.script))
    throw new InvalidRequestError('"script" is a script name.', 'script');
  const chosen = f.script === undefined ? scripts : (scripts ?? [f.script]).filter((s) => s === f.script);
  const status = statusFilter(f.status);
  return {
    ...(status ? { states: KEY_STATES_OF[status] } : {}),
    ...(chosen ? { scripts: chosen } : {}),
    ...(f.since !== undefined ? { since: isoTime(f.since, 'since') } : {}),
    ...(f.until !== undefined ? { until: isoTime(f.until, 'until') } : {}),
    limit: limitOf(f.limit),
  };
}

/** The query for batches matching `f` on `taskQueue`. */
export function batchesQuery(f: Omit<RunFilters, 'script'>, taskQueue: string): ListQuery {
  return withFilters([`WorkflowType = '${WorkflowTypes.orchestrator}'`, `TaskQueue = '${taskQueue}'`], f);
}

function withFilters(clauses: string[], f: Omit<RunFilters, 'script'>): ListQuery {
  const status = statusFilter(f.status);
  if (status) clauses.push(VISIBILITY_STATUS[status]);
  if (f.since !== undefined) clauses.push(`StartTime >= '${isoTime(f.since, 'since')}'`);
  if (f.until !== undefined) clauses.push(`StartTime <= '${isoTime(f.until, 'until')}'`);
  // No ORDER BY: SQL visibility refuses it, and already lists newest first.
  return { query: clauses.join(' AND '), limit: limitOf(f.limit), status };
}

function statusFilter(status: string | undefined): RunStatus | undefined {
  if (status === undefined) return undefined;
  if (!Object.hasOwn(VISIBILITY_STATUS, status))
    throw new InvalidRequestError(
      `"status" is one of ${Object.keys(VISIBILITY_STATUS).join(', ')}.`,
      'status',
    );
  return status as RunStatus;
}

/** At most 1,000 a listing, so its work stays proportional to what it answers. */
function limitOf(given: string | undefined): number {
  const limit = given === undefined ? 100 : Number(given);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidRequestError('"limit" is a whole number from 1 to 1000.', 'limit');
  }
  return limit;
}

function isoTime(value: string, field: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new InvalidRequestError(`"${field}" is an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.`, field);
  }
  return new Date(t).toISOString();
}
