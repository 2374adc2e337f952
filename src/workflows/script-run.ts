// The one way a script runs under Temporal: a single activity, at most once unless the script is declared
// safe to retry. A run that does not succeed fails the workflow with its RunResult as the failure's
// details, so Temporal's own status (Completed / Failed) tells the story and the result is still replayable.
// A resolve run runs the script's verify command instead, and never the script.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { RunActivities } from '../activities/types.js';
import {
  RunFailureTypes,
  canonicalJson,
  type RunPolicy,
  type ScriptRunInput,
  verifiedResult,
  verifyVerdict,
} from '../shared/runs.js';
import { countRun } from './run-metrics.js';
import { withPermit } from './semaphore.js';
import type { Outcome, ResolveOf, RunResult, VerifyAnswer } from '../shared/schemas/runs.js';

const DEFAULT_START_TO_CLOSE_MS = 60 * 60 * 1000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

/** Runs any registered script once for its key. The workflow ID is the key. */
export async function ScriptRunWorkflow(input: ScriptRunInput): Promise<RunResult> {
  return runScriptOnce(input);
}

export async function runScriptOnce(input: ScriptRunInput): Promise<RunResult> {
  // Whatever else the input says, a resolve only asks; it never runs the script.
  if (input.resolve) return verifyOnce(input, input.resolve);
  // A capped script runs only while it holds one of its permits; other scripts pay nothing for the cap.
  return input.policy?.maxConcurrent ? withPermit(input.script, () => runIt(input)) : runIt(input);
}

async function runIt(input: ScriptRunInput): Promise<RunResult> {
  const activities = proxyActivities<RunActivities>(activityOptions(input.policy, input.activityTaskQueue));
  const stamp = canonicalJson({ script: input.script, args: input.args });
  try {
    const result = await (input.activityTaskQueue
      ? activities.runCommand(input)
      : activities.runScript(input));
    countRun(input.script, result.outcome, result.durationMs);
    return { ...result, request: stamp };
  } catch (err) {
    const measured = carriedResult(err)?.durationMs;
    // Only a cancellation of this workflow ends it as Canceled; an activity cancelled for any other
    // reason (its worker shut down) leaves the outcome unknown.
    if (isCancellation(err) && CancellationScope.current().consideredCancelled) {
      countRun(input.script, 'cancelled', measured);
      throw err;
    }
    const failure = runFailure(err, workflowInfo().workflowId, workflowInfo().runId, stamp);
    countRun(input.script, (failure.details?.[0] as RunResult | undefined)?.outcome ?? 'failed', measured);
    throw failure;
  }
}

/**
 * A resolve: asks the script's verify command whether the run `resolve.runId`, whose outcome was unknown,
 * did its work, and ends with the answer. Done: this run succeeds, so the key answers succeeded from now
 * on. Not done: it fails definitely, so an explicit retry may run the script. Anything else (verify exited
 * otherwise, timed out, was cancelled, or could not run at all): the outcome stays unknown.
 */
async function verifyOnce(input: ScriptRunInput, resolve: ResolveOf): Promise<RunResult> {
  // No activityTaskQueue: verify runs on the registry's workers, never on an `exec` process.
  const { verifyScript } = proxyActivities<RunActivities>(activityOptions(input.policy));
  const { workflowId, runId } = workflowInfo();
  const request = canonicalJson({ script: input.script, args: input.args });
  const answered = (answer: VerifyAnswer, outcome: Outcome, checked?: RunResult): RunResult =>
    verifiedResult(
      checked ?? noProcess(outcome, workflowId, runId, request),
      resolve,
      answer,
      outcome,
      request,
    );
  try {
    return answered('done', 'succeeded', await verifyScript(input));
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const checked =
      cause instanceof ApplicationFailure ? (cause.details?.[0] as RunResult | undefined) : undefined;
    const verdict = verifyVerdict(resolve, input.script, {
      failureType: (cause instanceof ApplicationFailure && cause.type) || 'ActivityFailure',
      failureMessage: cause?.message ?? (err as Error).message,
      exitCode: checked?.exitCode,
    });
    throw ApplicationFailure.create({
      type: verdict.failureType,
      message: verdict.message,
      nonRetryable: true,
      details: [answered(verdict.answer, verdict.outcome, checked)],
    });
  }
}

/** The result a script's activity failed with (it ran and ended on a live worker), if any. */
function carriedResult(err: unknown): RunResult | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure || cause instanceof CancelledFailure
    ? (cause.details?.[0] as RunResult | undefined)
    : undefined;
}

/**
 * Since the key store, the script's attempts are counted where it runs (the activity claims the key and
 * counts each start there), so Temporal may try the activity as often as it takes: an attempt that finds
 * the key store down starts nothing and is tried again, and one that finds the script already started
 * with no attempt left ends the run outcome_unknown. Runs started before keep the attempts they had.
 */
export const KEY_STORE_PATCH = 'superscript-key-store';
const KEY_STORE_RETRY = { initialIntervalMs: 1000, maximumIntervalMs: 30_000 };

function activityOptions(policy: RunPolicy = {}, taskQueue?: string) {
  const keyStore = patched(KEY_STORE_PATCH);
  return {
    ...(policy.scheduleToStartTimeoutMs ? { scheduleToStartTimeout: policy.scheduleToStartTimeoutMs } : {}),
    taskQueue,
    startToCloseTimeout: policy.startToCloseTimeoutMs ?? DEFAULT_START_TO_CLOSE_MS,
    heartbeatTimeout: policy.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // Wait until the activity has really ended the script before the workflow reports it cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: keyStore
      ? {
          maximumAttempts: Number.POSITIVE_INFINITY,
          initialInterval: policy.initialRetryIntervalMs ?? KEY_STORE_RETRY.initialIntervalMs,
          maximumInterval: KEY_STORE_RETRY.maximumIntervalMs,
          nonRetryableErrorTypes: [RunFailureTypes.notRegistered, RunFailureTypes.refused],
        }
      : {
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
    const carried = carriedResult(err);
    return ApplicationFailure.create({
      type: cause.type ?? RunFailureTypes.failed,
      message: cause.message,
      nonRetryable: true,
      details: carried ? [{ ...carried, request }] : [],
    });
  }
  const neverStarted = cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
  const unknown = noProcess(neverStarted ? 'failed' : 'outcome_unknown', workflowId, runId, request);
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

/** The result of a run whose process never reported back. */
function noProcess(outcome: Outcome, workflowId: string, runId: string, request: string): RunResult {
  const now = new Date().toISOString();
  return {
    outcome,
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
}

function isKnownRunFailure(type: string | undefined | null): boolean {
  return (Object.values(RunFailureTypes) as (string | undefined | null)[]).includes(type);
}
