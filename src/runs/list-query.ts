// Builds the Temporal visibility query behind `GET /v1/runs` and `superscript runs`, from checked filters only.
import { InvalidRequestError } from '../errors.js';
import { SCRIPT_SEARCH_ATTRIBUTE, WorkflowTypes, execTaskQueue } from '../workflows/contract.js';

const STATUS: Record<string, string> = {
  running: 'Running',
  succeeded: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  timed_out: 'TimedOut',
};

export interface RunFilters {
  status?: string;
  script?: string;
  since?: string;
  until?: string;
  limit?: string;
}

/**
 * The query for `f`, limited to the script and payment runs on `taskQueue` (and its `exec` queue), and to
 * `scripts` when given (a token's `run:` scopes; names checked as scopes, so safe to quote).
 */
export function runsQuery(
  f: RunFilters,
  taskQueue: string,
  scripts?: readonly string[],
): { query: string; limit: number } {
  const types = [WorkflowTypes.script, WorkflowTypes.payment].map((t) => `'${t}'`).join(', ');
  // Task queue names are checked at start-up (settings.ts): letters, digits and . _ - only.
  const queues = [taskQueue, execTaskQueue(taskQueue)].map((q) => `'${q}'`).join(', ');
  const clauses = [`WorkflowType IN (${types})`, `TaskQueue IN (${queues})`];
  if (f.status !== undefined) {
    const status = STATUS[f.status];
    if (!status)
      throw new InvalidRequestError(`"status" is one of ${Object.keys(STATUS).join(', ')}.`, 'status');
    clauses.push(`ExecutionStatus = '${status}'`);
  }
  if (f.script !== undefined) {
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(f.script))
      throw new InvalidRequestError('"script" is a script name.', 'script');
    clauses.push(`${SCRIPT_SEARCH_ATTRIBUTE} = '${f.script}'`);
  }
  if (scripts) clauses.push(`${SCRIPT_SEARCH_ATTRIBUTE} IN (${scripts.map((s) => `'${s}'`).join(', ')})`);
  if (f.since !== undefined) clauses.push(`StartTime >= '${isoTime(f.since, 'since')}'`);
  if (f.until !== undefined) clauses.push(`StartTime <= '${isoTime(f.until, 'until')}'`);
  const limit = f.limit === undefined ? 100 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidRequestError('"limit" is a whole number from 1 to 1000.', 'limit');
  }
  // No ORDER BY: SQL visibility refuses it, and already lists newest first.
  return { query: clauses.join(' AND '), limit };
}

/** The batches running now on `taskQueue`. */
export function runningBatchesQuery(taskQueue: string): string {
  return `WorkflowType = '${WorkflowTypes.orchestrator}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
}

function isoTime(value: string, field: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new InvalidRequestError(`"${field}" is an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.`, field);
  }
  return new Date(t).toISOString();
}
