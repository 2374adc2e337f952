// What a run is across the Temporal boundary: its request and fingerprint, its input, policy and result, how it
// fails, and how a resolve's verify answer reads. Pure code, so workflows, activities and clients share it: the
// shapes it names are zod schemas (./schemas/runs.ts), imported here as types only.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type {
  Outcome,
  ResolveOf,
  RetryOf,
  RunResult,
  ScriptArgs,
  Verified,
  VerifyAnswer,
} from './schemas/runs.js';

/** `ApplicationFailure.type` of a run that ended without success; details[0] is its {@link RunResult}. */
export const RunFailureTypes = {
  failed: 'ScriptFailed',
  timedOut: 'ScriptTimedOut',
  outcomeUnknown: 'OutcomeUnknown',
  notRegistered: 'ScriptNotRegistered',
  /** A resolve run whose verify command found the work not done: outcome `failed` (the script did not run). */
  verifiedNotDone: 'VerifiedNotDone',
  /** The worker refused the request: it is not for the run it arrived in (workflow ID, key). Nothing ran. */
  refused: 'RunRefused',
  /**
   * The key store did not answer before the script started: nothing ran, and the activity is tried again
   * (without using up the script's attempts) until it does.
   */
  keyStoreUnavailable: 'KeyStoreUnavailable',
  /**
   * The script's next start slot (its `ratePerSecond`) was further away than the attempt could wait, or its
   * worker stopped while it waited: nothing ran, and the activity is tried again (attempts not used up).
   */
  startDeferred: 'StartDeferred',
} as const;

/** Memo field holding the canonical request, compared when a key is used again. */
export const REQUEST_MEMO = 'superscript.request';

/**
 * Memo field naming who started a run, so that caller alone reports `executed`: a nonce of the caller of an
 * explicit retry, or the workflow ID of the batch that started an order (also on its retried starts).
 */
export const STARTER_MEMO = 'superscript.starter';

/** Custom search attribute holding the script name, so runs can be listed by script. */
export const SCRIPT_SEARCH_ATTRIBUTE = 'SuperScriptScript';

const scriptSearchAttribute = defineSearchAttributeKey(SCRIPT_SEARCH_ATTRIBUTE, SearchAttributeType.KEYWORD);

/**
 * The memo and search attribute every run is started with, whoever starts it (a client or a batch):
 * the canonical request, compared when its key is used again, and the script name, for listing.
 */
export function runIdentity(request: { script: string; args: unknown }) {
  return {
    memo: { [REQUEST_MEMO]: canonicalJson(request) },
    typedSearchAttributes: [{ key: scriptSearchAttribute, value: request.script }],
  };
}

/** JSON with object keys sorted at every level, so equal requests have equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** How the workflow schedules the script's activity; resolved from the script registry by the client. */
export interface RunPolicy {
  /** Longest the activity may run before Temporal gives up on it. Default: 1 hour. */
  startToCloseTimeoutMs?: number;
  /** A worker silent for this long is presumed dead. Default: 10 s. */
  heartbeatTimeoutMs?: number;
  /**
   * Give up if no worker has picked the script up after this long: it never started, so the run fails
   * definitely (not `outcome_unknown`). Default: none, a run waits for a worker.
   */
  scheduleToStartTimeoutMs?: number;
  /** Attempts in all; 1 (the default) means at most once. Only scripts declared safe to retry get more. */
  maximumAttempts?: number;
  /** First retry delay when maximumAttempts > 1. Default: 1 s. */
  initialRetryIntervalMs?: number;
  /**
   * Runs of this script at once across all workers (the registry's `maxConcurrent`): the run waits for a
   * permit from the script's semaphore workflow. The worker refuses to run a capped script without one.
   */
  maxConcurrent?: number;
}

export interface ScriptRunInput extends RunExtras {
  script: string;
  args: ScriptArgs;
  key: string;
  policy?: RunPolicy;
  /** Task queue for the activity when it differs from the workflow's (used by `superscript exec`). */
  activityTaskQueue?: string;
}

export interface PaymentInput extends RunExtras {
  orderId: string;
  amount: number;
  policy?: RunPolicy;
}

/** What a run's input may carry beyond its request: how it came to be started. */
export interface RunExtras {
  /** Set on an explicit retry: the run it retries and who asked, recorded so its history shows who and why. */
  retryOf?: RetryOf & {
    /**
     * The key store's grant for this retry: only a run carrying it may claim the ended key. An input that
     * says it is a retry without the key's pending grant is refused where the script would run.
     */
    grant?: string;
  };
  /**
   * Set on a resolve: run only the script's verify command, never the script (then `policy` is the verify
   * command's). Verify only reads, so a hand-started resolve can make nothing run more often.
   */
  resolve?: ResolveOf & {
    /** The key store's grant for this resolve: without it, verify does not run and nothing is recorded. */
    grant?: string;
  };
}

/**
 * The result of a resolve run: verify's own process fields, the outcome its answer gives the key, and
 * what it answered about which run. The workflow and the activity that records it in the key store both
 * build it here, so the two are the same.
 */
export function verifiedResult(
  checked: RunResult,
  resolve: Pick<ResolveOf, 'runId' | 'by'>,
  answer: VerifyAnswer,
  outcome: Outcome,
  request: string,
): RunResult {
  const verified: Verified = {
    runId: resolve.runId,
    by: resolve.by,
    at: checked.endedAt,
    exitCode: checked.exitCode,
    answer,
  };
  return { ...checked, outcome, request, verified };
}

/** What verify's ending makes of the key: its answer, the outcome, and the failure that says so. */
export interface VerifyVerdict {
  answer: VerifyAnswer;
  outcome: Outcome;
  /** How the resolve run fails (not done, cannot tell); none when verify found the work done. */
  failureType?: string;
  message?: string;
}

/**
 * Verify exited 0: done. It failed with exit code 1: not done. Anything else (another code, a timeout, a
 * cancel, no process at all): it cannot tell. Both the resolve workflow and the activity that records the
 * answer in the key store decide it here.
 */
export function verifyVerdict(
  resolve: Pick<ResolveOf, 'runId'>,
  script: string,
  ended: { failureType?: string; failureMessage?: string; exitCode?: number | null },
): VerifyVerdict {
  if (ended.failureType === undefined) return { answer: 'done', outcome: 'succeeded' };
  if (ended.failureType === RunFailureTypes.failed && ended.exitCode === 1) {
    return {
      answer: 'not_done',
      outcome: 'failed',
      failureType: RunFailureTypes.verifiedNotDone,
      message: `Verify found the work of run ${resolve.runId} not done: the key's outcome is now failed, and an explicit retry may run ${script}.`,
    };
  }
  return {
    answer: 'unknown',
    outcome: 'outcome_unknown',
    failureType: RunFailureTypes.outcomeUnknown,
    message: `Verify could not tell whether run ${resolve.runId} did its work (${ended.failureMessage}); the outcome stays unknown.`,
  };
}

/** The script name `superscript exec` runs record; reserved, no registered script may take it. */
export const EXEC_SCRIPT = 'exec';

// Defined beside the payment's key in ids.ts, which imports nothing, so the web UI can use it too.
export { PAYMENT_SCRIPT } from './ids.js';
