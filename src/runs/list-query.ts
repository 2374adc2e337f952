// Builds the Temporal visibility queries behind `GET /v1/runs`, `GET /v1/batches` and `superscript runs`,
// from checked filters only.
import { InvalidRequestError } from '../errors.js';
import { SCRIPT_SEARCH_ATTRIBUTE, WorkflowTypes, execTaskQueue } from '../workflows/contract.js';
import type { RunStatus } from './view.js';

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

/**
 * The query for `f`, limited to the script and payment runs on `taskQueue` (and its `exec` queue), and to
 * `scripts` when given (a token's `run:` scopes; names checked as scopes, so safe to quote).
 */
export function runsQuery(f: RunFilters, taskQueue: string, scripts?: readonly string[]): ListQuery {
  const types = [WorkflowTypes.script, WorkflowTypes.payment].map((t) => `'${t}'`).join(', ');
  // Task queue names are checked at start-up (settings.ts): letters, digits and . _ - only.
  const queues = [taskQueue, execTaskQueue(taskQueue)].map((q) => `'${q}'`).join(', ');
  const clauses = [`WorkflowType IN (${types})`, `TaskQueue IN (${queues})`];
  if (f.script !== undefined) {
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(f.script))
      throw new InvalidRequestError('"script" is a script name.', 'script');
    clauses.push(`${SCRIPT_SEARCH_ATTRIBUTE} = '${f.script}'`);
  }
  if (scripts) clauses.push(`${SCRIPT_SEARCH_ATTRIBUTE} IN (${scripts.map((s) => `'${s}'`).join(', ')})`);
  return withFilters(clauses, f);
}

/** The query for batches matching `f` on `taskQueue`. */
export function batchesQuery(f: Omit<RunFilters, 'script'>, taskQueue: string): ListQuery {
  return withFilters([`WorkflowType = '${WorkflowTypes.orchestrator}'`, `TaskQueue = '${taskQueue}'`], f);
}

function withFilters(clauses: string[], f: Omit<RunFilters, 'script'>): ListQuery {
  let status: RunStatus | undefined;
  if (f.status !== undefined) {
    if (!Object.hasOwn(VISIBILITY_STATUS, f.status))
      throw new InvalidRequestError(
        `"status" is one of ${Object.keys(VISIBILITY_STATUS).join(', ')}.`,
        'status',
      );
    status = f.status as RunStatus;
    clauses.push(VISIBILITY_STATUS[status]);
  }
  if (f.since !== undefined) clauses.push(`StartTime >= '${isoTime(f.since, 'since')}'`);
  if (f.until !== undefined) clauses.push(`StartTime <= '${isoTime(f.until, 'until')}'`);
  const limit = f.limit === undefined ? 100 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidRequestError('"limit" is a whole number from 1 to 1000.', 'limit');
  }
  // No ORDER BY: SQL visibility refuses it, and already lists newest first.
  return { query: clauses.join(' AND '), limit, status };
}

function isoTime(value: string, field: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new InvalidRequestError(`"${field}" is an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.`, field);
  }
  return new Date(t).toISOString();
}
