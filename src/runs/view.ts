// A run as callers see it, mapped from what Temporal reports: its description, a listing entry, or how it
// ended. One mapping, so a run reads the same whoever asks (a request, a batch, a listing).
import type {
  WorkflowExecutionDescription,
  WorkflowExecutionInfo,
  WorkflowFailedError,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { hasEnded } from '../keystore/record.js';
import { RunFailureTypes } from '../shared/runs.js';
import { requestOf, storedRunResult } from './stored.js';
import type { KeyRecord } from '../shared/schemas/keys.js';
import type { CanonicalRequest, RunStatus } from '../shared/schemas/runs.js';
import type { RunView } from '../shared/schemas/views.js';

/** How a request for a run was answered. */
export interface StartOrAttach {
  /** This call started the run (it is the one that executed the script). */
  executed: boolean;
  /** The run had already finished when this call arrived: its stored result is replayed. */
  replayed: boolean;
  /** Status `running` when the wait ran out before the run finished. */
  run: RunView;
}

const STATUS_OF: Record<string, RunStatus> = {
  RUNNING: 'running',
  COMPLETED: 'succeeded',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

export function viewOf(info: WorkflowExecutionInfo | WorkflowExecutionDescription): RunView {
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.type,
    status: STATUS_OF[info.status.name] ?? 'failed',
    ...requestOf(info),
    startedAt: info.startTime.toISOString(),
    closedAt: info.closeTime?.toISOString(),
    historyLength: info.historyLength,
  };
}

/**
 * A key's run as the key store has it: what a duplicate is answered with once the run has ended (the
 * result byte for byte), and all that is left of a run Temporal no longer remembers.
 */
export function recordView(record: KeyRecord): RunView {
  const ended = hasEnded(record.state);
  return {
    workflowId: record.key,
    runId: record.runId ?? '',
    status: ended ? (record.state as RunStatus) : 'running',
    request: JSON.parse(record.request) as CanonicalRequest,
    startedAt: record.startedAt,
    ...(record.endedAt ? { closedAt: record.endedAt } : {}),
    ...(ended && record.result ? { result: record.result } : {}),
    ...(ended && record.message ? { message: record.message } : {}),
  };
}

/**
 * How a run that did not succeed ended; a script's failure carries its RunResult as details. Details that
 * are not one make the run foreign, failed as Temporal says.
 */
export function failedView(workflowId: string, runId: string, err: WorkflowFailedError): RunView {
  const cause = err.cause;
  const base = { workflowId, runId, message: cause?.message ?? err.message };
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0];
    if (details === undefined)
      return {
        ...base,
        status: cause.type === RunFailureTypes.outcomeUnknown ? 'outcome_unknown' : 'failed',
      };
    const result = storedRunResult(details);
    if (!result) return { ...base, status: 'failed', foreign: true };
    return { ...base, runId: result.runId || runId, status: result.outcome, result };
  }
  if (cause instanceof CancelledFailure) return { ...base, status: 'cancelled' };
  if (cause instanceof TerminatedFailure) return { ...base, status: 'terminated' };
  if (cause instanceof TimeoutFailure) return { ...base, status: 'timed_out' };
  return { ...base, status: 'failed' };
}
