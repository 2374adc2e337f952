// The key store where a script runs: before the process starts, the run must claim its key and mark the
// script started; after, how it ended is recorded. What the store answers becomes the activity's answer,
// so a run that may not start its script ends without starting it, whoever started the workflow.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Counter } from 'prom-client';
import { KeyStoreUnavailableError } from '../errors.js';
import type { KeyGuard } from '../keystore/guard.js';
import { claim, markStarted, recordEnd, type RunEnd } from '../keystore/transitions.js';
import { processRegistry } from '../metrics/exposition.js';
import { RunFailureTypes } from '../shared/runs.js';
import type { KeyRecord } from '../shared/schemas/keys.js';
import type { Outcome, RunResult } from '../shared/schemas/runs.js';

/** What a run claims its key with, by the worker's own reading of its input. */
export interface KeyClaim {
  guard: KeyGuard;
  script: string;
  /** The canonical request, from the worker's own validation of the input. */
  request: string;
  /** The grant an explicit retry's input carries. */
  grantToken?: string;
}

let unavailable: Counter<'step'> | undefined;

/** Times a run could not reach the key store (and so started nothing, or waited to record its end). */
function unavailableCount(): Counter<'step'> {
  unavailable ??= new Counter({
    name: 'superscript_key_store_unavailable_total',
    help: 'Times a run could not reach the key store: before its script started (nothing ran; tried again) or while recording how it ended.',
    labelNames: ['step'],
    registers: [processRegistry()],
  });
  return unavailable;
}

/**
 * Claims the key for this run and, after `beforeStart`, marks the script started: the attempt this start
 * is, by the store's count. Otherwise the run's own recorded end (it ended before, or started the script
 * with no attempt left: unknown), or a throw: refused (another request or run holds the key), or a
 * retryable failure when the store does not answer (nothing started).
 */
export async function claimAndStart(
  k: KeyClaim,
  key: string,
  attemptsAllowed: number,
  /** Checks between the claim and the start (a permit, a start slot); none: both in one write. */
  beforeStart?: () => Promise<void>,
): Promise<{ attempt: number } | { recorded: RunResult }> {
  const { info } = Context.current();
  const run = info.workflowExecution!;
  return whileStoreAnswers('claim', async () => {
    await k.guard.ready();
    const answer = await claim(k.guard.store, {
      key,
      script: k.script,
      request: k.request,
      runId: run.runId,
      attemptsAllowed,
      grantToken: k.grantToken,
      requireReservation: k.guard.requireReservation,
      temporalAttempt: info.attempt,
      isOpen: (runId) => k.guard.isOpen(run.workflowId, runId),
      startNow: beforeStart === undefined,
    });
    switch (answer.kind) {
      case 'refused':
        throw ApplicationFailure.create({
          type: RunFailureTypes.refused,
          message: answer.reason,
          nonRetryable: true,
          // The same request's result, when the run holding the key has ended: what this run would have asked.
          details: heldResult(answer.holder, k.request),
        });
      case 'ended':
      case 'unknown':
        return { recorded: recorded(answer.record) };
      case 'go':
        break;
    }
    if (!beforeStart) return { attempt: answer.record.attempts };
    await beforeStart();
    const started = await markStarted(k.guard.store, key, run.runId, attemptsAllowed);
    if (!started) {
      throw ApplicationFailure.create({
        type: RunFailureTypes.refused,
        message: `Run ${run.runId} lost its claim on key "${key}" before starting its script. Nothing ran.`,
        nonRetryable: true,
      });
    }
    return { attempt: started.attempts };
  });
}

/**
 * Records how the run ended. The script has run, so its end must not be lost: while the store does not
 * answer, this keeps trying (and heartbeating) for a while; if it never does, Temporal still gets the
 * result, and the key is settled from it when it is next read. Returns the store's record instead when it
 * already holds another end of this run: that one is the answer.
 */
export async function recordRunEnd(k: KeyClaim, key: string, end: RunEnd): Promise<KeyRecord | undefined> {
  const ctx = Context.current();
  const run = ctx.info.workflowExecution!;
  const deadline = Date.now() + RECORD_PATIENCE_MS;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      const kept = await recordEnd(k.guard.store, key, run.runId, end);
      // The store already had another end of this run (written by a worker Temporal lost): it stands.
      return kept && JSON.stringify(kept.result) !== JSON.stringify(end.result) ? kept : undefined;
    } catch (err) {
      if (!(err instanceof KeyStoreUnavailableError)) throw err;
      unavailableCount().inc({ step: 'record' });
      if (Date.now() + wait > deadline || ctx.cancellationSignal.aborted) {
        ctx.log.error(
          'could not record how the run ended in the key store; it will be settled from Temporal when next read',
          { err: err.message },
        );
        return undefined;
      }
      ctx.heartbeat();
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** How long an ended run keeps trying to record its end before leaving it to be settled from Temporal. */
const RECORD_PATIENCE_MS = 5 * 60_000;

/** Runs a step that needs the store; its unavailability becomes a retryable failure that starts nothing. */
export async function whileStoreAnswers<T>(step: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof KeyStoreUnavailableError)) throw err;
    unavailableCount().inc({ step });
    Context.current().log.warn('key store unavailable; the script did not start', { err: err.message });
    throw ApplicationFailure.create({
      type: RunFailureTypes.keyStoreUnavailable,
      message: `${err.message} The script did not start; the run waits and tries again.`,
      nonRetryable: false,
    });
  }
}

/** The holder's result, when it ended and was for the same request. */
function heldResult(holder: KeyRecord | undefined, request: string): RunResult[] {
  return holder?.result && holder.request === request ? [holder.result] : [];
}

const FAILURE_TYPE: Record<Exclude<Outcome, 'succeeded'>, string> = {
  failed: RunFailureTypes.failed,
  timed_out: RunFailureTypes.timedOut,
  outcome_unknown: RunFailureTypes.outcomeUnknown,
  // Ended from outside or by a cancel whose answer was lost: the result says how; a plain failure carries it.
  cancelled: RunFailureTypes.failed,
  terminated: RunFailureTypes.failed,
};

/** The activity's answer for a run whose end the store already has: its result, or the failure carrying it. */
export function recorded(rec: KeyRecord): RunResult {
  const result = rec.result!;
  if (rec.state === 'succeeded') return result;
  throw ApplicationFailure.create({
    type: FAILURE_TYPE[rec.state as Exclude<Outcome, 'succeeded'>],
    message: rec.message ?? `The run ended ${rec.state}.`,
    nonRetryable: true,
    details: [result],
  });
}
