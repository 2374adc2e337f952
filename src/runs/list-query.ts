// Builds the Temporal visibility query behind `GET /v1/runs` and `superscript runs`, from checked filters only.
import { InvalidRequestError } from '../errors.js';
import { SCRIPT_SEARCH_ATTRIBUTE, WorkflowTypes } from '../workflows/contract.js';

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

/** `scripts`: only runs of these (a token's `run:` scopes); names checked as scopes, so safe to quote. */
export function runsQuery(f: RunFilters, scripts?: readonly string[]): { query: string; limit: number } {
  const types = [WorkflowTypes.script, WorkflowTypes.payment].map((t) => `'${t}'`).join(', ');
  const clauses = [`WorkflowType IN (${types})`];
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

function isoTime(value: string, field: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new InvalidRequestError(`"${field}" is an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.`, field);
  }
  return new Date(t).toISOString();
}
