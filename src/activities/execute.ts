// Runs a process inside an activity: heartbeats so worker death and cancellation are noticed, and maps the
// process outcome to a RunResult (returned on success, carried by an ApplicationFailure otherwise).
// Which run it is and how often it may run come from the server and the worker, never from the input.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { outcomeOf, runProcess, type ProcessSpec } from '../runner/run-process.js';
import { RunFailureTypes, type RunResult } from '../workflows/contract.js';
import type { RunActivityInput } from './types.js';

export interface ExecuteOptions extends Omit<ProcessSpec, 'signal' | 'env' | 'cwd'> {
  /** The script's own environment; SUPERSCRIPT_* variables are added. */
  env: Record<string, string>;
  cwd: string;
  /** Called once the request is admitted, just before the process starts. */
  onStart?: () => void;
}

/** What the worker itself allows the request, whatever the workflow's input says. */
export interface RunRules {
  /** The only workflow ID the request may run under. */
  workflowId: string;
  /** Attempts in all; from the worker's own registry. */
  attempts: number;
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
  const { attempt, workflowExecution } = ctx.info;
  // Absent for an activity started on its own, by a client: no run, no key, nothing to run for.
  if (!workflowExecution)
    throw refusal(`Refused to run ${input.script}: it runs only inside its run's workflow.`);
  const { workflowId, runId } = workflowExecution;
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
  if (attempt > rules.attempts) {
    // Attempts are made only while the registry allows them (the last allowed one fails non-retryable), so
    // this one exists because an earlier attempt ended without reporting: nobody knows what it did.
    throw ApplicationFailure.create({
      type: RunFailureTypes.outcomeUnknown,
      message: `Attempt ${attempt} of ${input.script} refused: the worker's registry allows ${rules.attempts}. An earlier attempt ended without a result (its worker stopped or timed out), so it may or may not have done its work.`,
      nonRetryable: true,
    });
  }
  // The workflow's retry policy may allow more; the last attempt the registry allows is the last there is.
  const nonRetryable = attempt >= rules.attempts;

  const { onStart, ...spec } = options;
  onStart?.();
  // The SDK throttles heartbeats to the server; beating often just keeps cancellation prompt.
  const beat = setInterval(() => ctx.heartbeat(), Math.min(1000, ctx.info.heartbeatTimeoutMs ?? 1000));
  let outcome;
  try {
    outcome = await runProcess({
      ...spec,
      env: {
        ...spec.env,
        SUPERSCRIPT_KEY: workflowId,
        SUPERSCRIPT_WORKFLOW_ID: workflowId,
        SUPERSCRIPT_RUN_ID: runId,
        SUPERSCRIPT_ATTEMPT: String(attempt),
      },
      signal: ctx.cancellationSignal,
    });
  } finally {
    clearInterval(beat);
  }

  const { timedOut, cancelled, ...output } = outcome;
  const result: RunResult = { ...output, outcome: outcomeOf(outcome), attempt, workflowId, runId };
  if (cancelled && ctx.cancellationDetails?.cancelRequested) {
    throw new CancelledFailure('The run was cancelled; its process group was ended.', [result]);
  }
  if (cancelled) {
    // Not a cancel request: the worker is shutting down (or lost the task) and ended the script midway.
    throw ApplicationFailure.create({
      type: RunFailureTypes.outcomeUnknown,
      message: `${input.script} was ended midway because its worker stopped; it may or may not have done its work.`,
      details: [{ ...result, outcome: 'outcome_unknown' }],
      nonRetryable,
    });
  }
  if (result.outcome === 'succeeded') return result;
  throw ApplicationFailure.create({
    type: timedOut ? RunFailureTypes.timedOut : RunFailureTypes.failed,
    message: timedOut
      ? `${input.script} ran longer than its timeout and was ended.`
      : `${input.script} exited with ${outcome.exitCode ?? outcome.signal ?? 'no code'}.`,
    details: [result],
    nonRetryable,
    // A script that exits non-zero is an ordinary outcome, not a worker problem: logged at debug.
    category: ApplicationFailureCategory.BENIGN,
  });
}
