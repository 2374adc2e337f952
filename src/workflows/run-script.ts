// The one way a script runs under Temporal: a single activity, at most once unless the script is declared
// safe to retry. A run that does not succeed fails the workflow with its RunResult as the failure's
// details, so Temporal's own status (Completed / Failed) tells the story and the result is still replayable.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { RunActivities } from '../activities/types.js';
import {
  RunFailureTypes,
  canonicalJson,
  type RunPolicy,
  type RunResult,
  type ScriptRunInput,
} from './contract.js';
import { withPermit } from './semaphore.js';

const DEFAULT_START_TO_CLOSE_MS = 60 * 60 * 1000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

/** Runs any registered script once for its key. The workflow ID is the key. */
export async function ScriptRunWorkflow(input: ScriptRunInput): Promise<RunResult> {
  return runScriptOnce(input);
}

export async function runScriptOnce(input: ScriptRunInput): Promise<RunResult> {
  // A capped script runs only while it holds one of its permits; other scripts pay nothing for the cap.
  return input.policy?.maxConcurrent ? withPermit(input.script, () => runIt(input)) : runIt(input);
}

async function runIt(input: ScriptRunInput): Promise<RunResult> {
  const activities = proxyActivities<RunActivities>(activityOptions(input.policy, input.activityTaskQueue));
  const info = workflowInfo();
  const request = { ...input, workflowId: info.workflowId, runId: info.runId };
  const stamp = canonicalJson({ script: input.script, args: input.args });
  try {
    const result = await (input.activityTaskQueue
      ? activities.runCommand(request)
      : activities.runScript(request));
    return { ...result, request: stamp };
  } catch (err) {
    // Only a cancellation of this workflow ends it as Canceled; an activity cancelled for any other
    // reason (its worker shut down) leaves the outcome unknown.
    if (isCancellation(err) && CancellationScope.current().consideredCancelled) throw err;
    throw runFailure(err, request.workflowId, request.runId, stamp);
  }
}

function activityOptions(policy: RunPolicy = {}, taskQueue?: string) {
  return {
    ...(policy.scheduleToStartTimeoutMs ? { scheduleToStartTimeout: policy.scheduleToStartTimeoutMs } : {}),
    taskQueue,
    startToCloseTimeout: policy.startToCloseTimeoutMs ?? DEFAULT_START_TO_CLOSE_MS,
    heartbeatTimeout: policy.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // Wait until the activity has really ended the script before the workflow reports it cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: policy.maximumAttempts ?? 1,
      initialInterval: policy.initialRetryIntervalMs ?? 1000,
      nonRetryableErrorTypes: [RunFailureTypes.notRegistered],
    },
  };
}

/**
 * Turns the activity's failure into the workflow's. A script that ran and failed keeps its result. Anything
 * else (worker died, heartbeat or start-to-close timeout) means nobody knows whether the script did its
 * work: that is `outcome_unknown`, and the key stays taken so nothing reruns it implicitly.
 */
function runFailure(err: unknown, workflowId: string, runId: string, request: string): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && isKnownRunFailure(cause.type)) {
    return ApplicationFailure.create({
      type: cause.type ?? RunFailureTypes.failed,
      message: cause.message,
      nonRetryable: true,
      details: cause.details?.[0] ? [{ ...(cause.details[0] as RunResult), request }] : [],
    });
  }
  const now = new Date().toISOString();
  const neverStarted = cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
  const unknown: RunResult = {
    outcome: neverStarted ? 'failed' : 'outcome_unknown',
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    startedAt: now,
    endedAt: now,
    durationMs: 0,
    attempt: 0,
    workflowId,
    runId,
    request,
  };
  const why = cause?.message ?? (err as Error).message;
  if (neverStarted) {
    // Nothing ran: a definite failure, safe to retry explicitly.
    return ApplicationFailure.create({
      type: RunFailureTypes.failed,
      message: `The script never started: no worker picked it up in time (${why}). Retry when its worker is up.`,
      nonRetryable: true,
      details: [unknown],
    });
  }
  return ApplicationFailure.create({
    type: RunFailureTypes.outcomeUnknown,
    message: `The script's outcome is unknown (${why}); it may or may not have done its work. Retry explicitly if it is safe.`,
    nonRetryable: true,
    details: [unknown],
  });
}

function isKnownRunFailure(type: string | undefined | null): boolean {
  return (Object.values(RunFailureTypes) as (string | undefined | null)[]).includes(type);
}
