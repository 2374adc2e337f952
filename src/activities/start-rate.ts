// Holds a script to its registry's `ratePerSecond` where it starts: after its key is claimed (and a capped
// script's permit confirmed), just before the key is marked started and the process spawned, so every way a
// script runs (a single request, a payment, a batch's order, a retry) takes a start slot.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import type { ScriptSpec } from '../config/scripts.js';
import { takeStartSlot } from '../keystore/rate.js';
import type { KeyStore } from '../keystore/store.js';
import { RunFailureTypes } from '../shared/runs.js';

/** The shortest wait before an attempt that found its slot too far away tries again. */
const MIN_RETRY_MS = 250;

/**
 * How late after its slot a start may still use it. A start that wakes later (its worker's event loop or the
 * store stalled) would come close behind the start before it and just ahead of the next one, and several
 * woken at once would be a burst: it gives its slot up and takes the next free one instead. What remains
 * between this check and the script's own first instruction (marking the key started, spawning) must fit
 * in the rest of the schedule's allowance for lateness (START_JITTER_MS in src/keystore/rate.ts).
 */
const LATE_MS = 15;

/**
 * How many times a late start takes another slot before it goes anyway: a stall (a burst of late wakers) is
 * spread out by one, while a worker that always runs late (its starts evenly late, so no burst) still starts.
 */
const LATE_RETAKES = 2;

/**
 * Waits for the script's next start slot when its registry limits its rate, taking another if it woke too
 * late for it (up to LATE_RETAKES times). The wait is inside the attempt (which heartbeats meanwhile) only
 * as far as its start-to-close timeout allows; a slot further away is not taken: the attempt ends having
 * started nothing, and Temporal tries again when the slot is near. Neither uses up the script's attempts,
 * which the key store counts only when the script starts.
 */
export async function awaitStartSlot(
  store: KeyStore,
  spec: ScriptSpec,
  /** When this attempt of the activity began (epoch ms): its start-to-close timeout runs from then. */
  attemptStartedAt: number,
): Promise<void> {
  const rate = spec.ratePerSecond;
  if (!rate) return;
  const ctx = Context.current();
  for (let retake = 0; ; retake++) {
    const horizon = waitHorizonMs(spec, attemptStartedAt, ctx.info.startToCloseTimeoutMs);
    const slot = await takeStartSlot(store, spec.name, rate, horizon);
    if (!slot.taken) {
      throw deferred(
        `${spec.name} starts at most ${rate} times a second, and its next start slot is ${seconds(slot.inMs)} away, later than this attempt may wait.`,
        Math.max(MIN_RETRY_MS, slot.inMs - horizon),
      );
    }
    // Counted from the store's answer, so never before the slot, however long the answer took; and lateness
    // from it too, so a store far away (a slow answer every time) makes no start late.
    const due = Date.now() + slot.inMs;
    try {
      await ctx.sleep(slot.inMs);
    } catch (err) {
      // Cancelled: the run ends cancelled, having started nothing. Otherwise the worker is stopping: another
      // attempt, on another worker, takes a new slot.
      if (ctx.cancellationDetails?.cancelRequested) throw err;
      throw deferred(`The worker stopped while ${spec.name} waited for its start slot.`, MIN_RETRY_MS);
    }
    if (Date.now() - due <= LATE_MS || retake === LATE_RETAKES) return;
  }
}

/**
 * How long a start may wait for its slot within this attempt: half of what the start-to-close timeout leaves
 * beyond the script's own longest run (its timeout and kill grace), so that waiting never pushes the script
 * into the margin that catches a hung worker. With the registry's timeouts, about 30 seconds.
 */
function waitHorizonMs(spec: ScriptSpec, attemptStartedAt: number, startToCloseMs: number): number {
  const longestRunMs = (spec.timeoutSeconds + spec.killGraceSeconds) * 1000;
  return (attemptStartedAt + startToCloseMs - longestRunMs - Date.now()) / 2;
}

/** A retryable failure of an attempt that started nothing; Temporal tries again after `retryInMs`. */
function deferred(why: string, retryInMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: RunFailureTypes.startDeferred,
    message: `${why} Nothing started; the run tries again in ${seconds(retryInMs)}.`,
    nonRetryable: false,
    nextRetryDelay: retryInMs,
    // Waiting for a slot is the limit working, not a problem: logged at debug.
    category: ApplicationFailureCategory.BENIGN,
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
