// Runs a process inside an activity: heartbeats so worker death and cancellation are noticed, and maps the
// process outcome to a RunResult (returned on success, carried by an ApplicationFailure otherwise).
import { mkdirSync } from 'node:fs';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { outcomeOf, runProcess, type ProcessSpec } from '../runner/run-process.js';
import { RunFailureTypes, type RunResult } from '../workflows/contract.js';
import type { RunActivityInput } from './types.js';

export interface ExecuteOptions extends Omit<ProcessSpec, 'signal' | 'env' | 'cwd'> {
  /** The script's own environment; SUPERSCRIPT_* variables are added. */
  env: Record<string, string>;
  cwd: string;
}

export async function executeInActivity(
  input: RunActivityInput,
  options: ExecuteOptions,
): Promise<RunResult> {
  const ctx = Context.current();
  const { attempt } = ctx.info;
  mkdirSync(options.cwd, { recursive: true });
  // The SDK throttles heartbeats to the server; beating often just keeps cancellation prompt.
  const beat = setInterval(() => ctx.heartbeat(), Math.min(1000, ctx.info.heartbeatTimeoutMs ?? 1000));
  let outcome;
  try {
    outcome = await runProcess({
      ...options,
      env: {
        ...options.env,
        SUPERSCRIPT_KEY: input.key,
        SUPERSCRIPT_WORKFLOW_ID: input.workflowId,
        SUPERSCRIPT_RUN_ID: input.runId,
        SUPERSCRIPT_ATTEMPT: String(attempt),
      },
      signal: ctx.cancellationSignal,
    });
  } finally {
    clearInterval(beat);
  }

  const { timedOut, cancelled, ...output } = outcome;
  const result: RunResult = {
    ...output,
    outcome: outcomeOf(outcome),
    attempt,
    workflowId: input.workflowId,
    runId: input.runId,
  };
  if (cancelled && ctx.cancellationDetails?.cancelRequested) {
    throw new CancelledFailure('The run was cancelled; its process group was ended.', [result]);
  }
  if (cancelled) {
    // Not a cancel request: the worker is shutting down (or lost the task) and ended the script midway.
    throw ApplicationFailure.create({
      type: RunFailureTypes.outcomeUnknown,
      message: `${input.script} was ended midway because its worker stopped; it may or may not have done its work.`,
      details: [{ ...result, outcome: 'outcome_unknown' }],
    });
  }
  if (result.outcome === 'succeeded') return result;
  throw ApplicationFailure.create({
    type: timedOut ? RunFailureTypes.timedOut : RunFailureTypes.failed,
    message: timedOut
      ? `${input.script} ran longer than its timeout and was ended.`
      : `${input.script} exited with ${outcome.exitCode ?? outcome.signal ?? 'no code'}.`,
    details: [result],
    // A script that exits non-zero is an ordinary outcome, not a worker problem: logged at debug.
    category: ApplicationFailureCategory.BENIGN,
  });
}
