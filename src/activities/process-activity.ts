// Runs a process inside an activity: heartbeats so worker death and cancellation are noticed, and maps the
// process outcome to a RunResult (returned on success, carried by an ApplicationFailure otherwise).
// Which run it is comes from the server; whether it may start, and how often, from the worker's registry
// and the key store, never from the input.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { outcomeOf, runProcess, type ProcessSpec } from '../process/spawn.js';
import { RunFailureTypes } from '../shared/runs.js';
import { claimAndStart, recordRunEnd, recorded, type KeyClaim } from './claim.js';
import type { RunActivityInput } from './types.js';
import type { RunResult } from '../shared/schemas/runs.js';
import type { KeyRecord } from '../shared/schemas/keys.js';

export interface ExecuteOptions extends Omit<ProcessSpec, 'signal' | 'env' | 'cwd'> {
  /** The script's own environment; SUPERSCRIPT_* variables are added. */
  env: Record<string, string>;
  cwd: string;
  /** Called once the request is admitted, just before the process starts. */
  onStart?: () => void;
  /** Patterns whose matches are replaced by `[redacted]` in the output that is kept (the registry's `redact`). */
  redact?: readonly RegExp[];
}

export const REDACTED = '[redacted]';

function redacted(text: string, patterns: readonly RegExp[] = []): string {
  return patterns.reduce((t, p) => t.replace(p, REDACTED), text);
}

/** What the worker itself allows the request, whatever the workflow's input says. */
export interface RunRules {
  /** The only workflow ID the request may run under. */
  workflowId: string;
  /** Attempts in all; from the worker's own registry. */
  attempts: number;
  /**
   * The key's claim in the key store, taken before the process starts and settled after it ends. Without
   * one (a resolve's verify command, which only reads), Temporal's attempt number is the count.
   */
  keys?: KeyClaim;
  /**
   * Checks that must pass after the key is claimed and before the process starts (a capped script's permit,
   * a rate-limited script's start slot).
   */
  beforeStart?: () => Promise<void>;
}

/** A request the worker will not run: nothing ran, and retrying it cannot help. */
export function refusal(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: RunFailureTypes.refused, message, nonRetryable: true });
}

export async function executeInActivity(
  input: RunActivityInput,
  options: ExecuteOptions,
  rules: RunRules,
): Promise<RunResult> {
  const ctx = Context.current();
  const { workflowExecution } = ctx.info;
  // Absent for an activity started on its own, by a client: no run, no key, nothing to run for.
  if (!workflowExecution)
    throw refusal(`Refused to run ${input.script}: it runs only inside its run's workflow.`);
  const { workflowId } = workflowExecution;
  if (workflowId !== rules.workflowId) {
    throw refusal(
      `Refused to run ${input.script} in workflow "${workflowId}": this request runs only as workflow "${rules.workflowId}". Nothing ran.`,
    );
  }
  if (input.key !== workflowId) {
    throw refusal(
      `Refused to run ${input.script}: its key "${input.key}" is not its workflow ID "${workflowId}". Nothing ran.`,
    );
  }
  // The SDK throttles heartbeats to the server; beating often just keeps cancellation prompt. Beating starts
  // before the claim, which may wait on the key store or on Temporal.
  const beat = setInterval(() => ctx.heartbeat(), Math.min(1000, ctx.info.heartbeatTimeoutMs ?? 1000));
  try {
    return await execute(input, options, rules);
  } finally {
    clearInterval(beat);
  }
}

async function execute(
  input: RunActivityInput,
  options: ExecuteOptions,
  rules: RunRules,
): Promise<RunResult> {
  const ctx = Context.current();
  const { attempt } = ctx.info;
  const { workflowId, runId } = ctx.info.workflowExecution!;
  const claimed = rules.keys
    ? await claimAndStart(rules.keys, input.key, rules.attempts, rules.beforeStart)
    : { attempt: await attemptByTemporal(input, rules, attempt) };
  if ('recorded' in claimed) return claimed.recorded;
  const started = claimed.attempt;
  // The workflow's retry policy may allow more; the last attempt the registry allows is the last there is.
  const nonRetryable = started >= rules.attempts;
  // Records the end; the key store's own record of this run's end, when it already had another, is the
  // answer instead (see recordRunEnd).
  const ended = async (result: RunResult, message?: string): Promise<KeyRecord | undefined> =>
    rules.keys && recordRunEnd(rules.keys, input.key, { outcome: result.outcome, result, message });

  const { onStart, redact, ...spec } = options;
  onStart?.();
  const outcome = await runProcess({
    ...spec,
    env: {
      ...spec.env,
      SUPERSCRIPT_KEY: workflowId,
      SUPERSCRIPT_WORKFLOW_ID: workflowId,
      SUPERSCRIPT_RUN_ID: runId,
      SUPERSCRIPT_ATTEMPT: String(started),
    },
    signal: ctx.cancellationSignal,
  });

  const { timedOut, cancelled, ...captured } = outcome;
  // What is kept (in Temporal and in the key store) is the output with the registry's secrets taken out.
  const output = {
    ...captured,
    stdout: redacted(captured.stdout, redact),
    stderr: redacted(captured.stderr, redact),
  };
  const result: RunResult = {
    ...output,
    outcome: outcomeOf(outcome),
    attempt: started,
    workflowId,
    runId,
    ...(rules.keys ? { request: rules.keys.request } : {}),
  };
  if (cancelled && ctx.cancellationDetails?.cancelRequested) {
    const message = 'The run was cancelled; its process group was ended.';
    const kept = await ended(result, message);
    if (kept) return recorded(kept);
    throw new CancelledFailure(message, [result]);
  }
  if (
    cancelled &&
    ctx.cancellationDetails?.notFound &&
    rules.keys &&
    (await runGone(rules.keys, workflowId, runId))
  ) {
    // The run is gone from Temporal (terminated, or reset, which terminates it): it ended from outside, as
    // Temporal records it, whether or not someone reads it before this worker writes it down. (Not found
    // alone is no proof: a timed-out attempt's heartbeat is not found either, while its run goes on.)
    const gone: RunResult = { ...result, outcome: 'terminated' };
    const message = `The run was terminated while ${input.script} ran; its process group was ended midway.`;
    await ended(gone, message);
    throw new CancelledFailure(message, [gone]);
  }
  if (cancelled) {
    // Not a cancel request: the worker is shutting down (or lost the task) and ended the script midway.
    const unknown: RunResult = { ...result, outcome: 'outcome_unknown' };
    const message = `${input.script} was ended midway because its worker stopped; it may or may not have done its work.`;
    const kept = nonRetryable ? await ended(unknown, message) : undefined;
    if (kept) return recorded(kept);
    throw ApplicationFailure.create({
      type: RunFailureTypes.outcomeUnknown,
      message,
      details: [unknown],
      nonRetryable,
    });
  }
  if (result.outcome === 'succeeded') {
    const kept = await ended(result);
    return kept ? recorded(kept) : result;
  }
  const message = timedOut
    ? `${input.script} ran longer than its timeout and was ended.`
    : `${input.script} exited with ${outcome.exitCode ?? outcome.signal ?? 'no code'}.`;
  // A failure the registry lets Temporal retry is not the run's end: the next attempt starts it again.
  const kept = nonRetryable ? await ended(result, message) : undefined;
  if (kept) return recorded(kept);
  throw ApplicationFailure.create({
    type: timedOut ? RunFailureTypes.timedOut : RunFailureTypes.failed,
    message,
    details: [result],
    nonRetryable,
    // A script that exits non-zero is an ordinary outcome, not a worker problem: logged at debug.
    category: ApplicationFailureCategory.BENIGN,
  });
}

/**
 * Without a key claim, the attempt is Temporal's: attempts are made only while the registry allows them
 * (the last allowed one fails non-retryable), so one past them exists because an earlier attempt ended
 * without reporting, and nobody knows what it did.
 */
async function attemptByTemporal(input: RunActivityInput, rules: RunRules, attempt: number): Promise<number> {
  if (attempt > rules.attempts) {
    throw ApplicationFailure.create({
      type: RunFailureTypes.outcomeUnknown,
      message: `Attempt ${attempt} of ${input.script} refused: the worker's registry allows ${rules.attempts}. An earlier attempt ended without a result (its worker stopped or timed out), so it may or may not have done its work.`,
      nonRetryable: true,
    });
  }
  await rules.beforeStart?.();
  return attempt;
}

/** Whether the run has ended in Temporal (or is gone from it); when Temporal cannot say, it is taken as open. */
async function runGone(keys: KeyClaim, workflowId: string, runId: string): Promise<boolean> {
  return !(await keys.guard.isOpen(workflowId, runId).catch(() => true));
}
