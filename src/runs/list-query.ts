// Builds the listings behind `GET /v1/runs` (the key store's keys) and `GET /v1/batches` (a Temporal
// visibility query) from queries their schemas have checked.
import type { KeyFilter } from '../keystore/record.js';
import type { BatchesQuery } from '../shared/schemas/batches.js';
import type { KeyState } from '../shared/schemas/keys.js';
import type { RunStatus, RunsQuery } from '../shared/schemas/runs.js';
import { paymentWorkflowId } from '../shared/ids.js';
import { SCRIPT_SEARCH_ATTRIBUTE } from '../shared/runs.js';
import { WorkflowTypes } from '../shared/workflow-types.js';

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
 * The listing of keys for `q`, limited to `scripts` when given (a token's `run:` scopes). Each key is one
 * line, its latest run: the key store answers it with one indexed query, however many keys there are.
 */
export function keysQuery(q: RunsQuery, scripts?: readonly string[]): KeyFilter {
  const chosen = q.script === undefined ? scripts : (scripts ?? [q.script]).filter((s) => s === q.script);
  return {
    // What is searched for may be a key or an order ID; the key store holds a payment under payment-<orderId>.
    ...(q.find !== undefined ? { keys: [q.find, paymentWorkflowId(q.find)] } : {}),
    ...(q.status ? { states: KEY_STATES_OF[q.status] } : {}),
    ...(chosen ? { scripts: chosen } : {}),
    ...(q.since !== undefined ? { since: q.since } : {}),
    ...(q.until !== undefined ? { until: q.until } : {}),
    limit: q.limit,
  };
}

/** The query for batches matching `q` on `taskQueue`. */
/** Batches of `scripts` only when given (a token's `run:` scopes): every batch carries its script's search attribute. */
export function batchesQuery(q: BatchesQuery, taskQueue: string, scripts?: readonly string[]): ListQuery {
  const clauses = [`WorkflowType = '${WorkflowTypes.orchestrator}'`, `TaskQueue = '${taskQueue}'`];
  // Script names are checked (SCRIPT_NAME, a token's scopes), so they quote safely.
  if (scripts) clauses.push(`${SCRIPT_SEARCH_ATTRIBUTE} IN (${scripts.map((s) => `'${s}'`).join(', ')})`);
  if (q.status) clauses.push(VISIBILITY_STATUS[q.status]);
  // Times are checked and written back as UTC ISO 8601 (IsoTime), so they quote safely.
  if (q.since !== undefined) clauses.push(`StartTime >= '${q.since}'`);
  if (q.until !== undefined) clauses.push(`StartTime <= '${q.until}'`);
  // No ORDER BY: SQL visibility refuses it, and already lists newest first.
  return { query: clauses.join(' AND '), limit: q.limit, status: q.status };
}
