// A script's start rate (the registry's `ratePerSecond`), held across every worker, batch and single
// request of an installation: each start of the script takes the next slot of one schedule kept in
// the key store (one row per scope and script), in one atomic write, and waits for it. Slots are spaced
// evenly, so starts never come in bursts: n starts take at least (n - 1) / rate seconds, and no second holds
// more than `rate` of them.
import type { KeyStore } from './store.js';

/**
 * How late a start may come after its slot (waking from the wait, marking the key started, the process's own
 * start-up, on a busy machine) without putting rate + 1 starts into one second as the script sees them: slots
 * are spaced as if the second were this much longer, which costs a tenth of the rate.
 */
const START_JITTER_MS = 100;

/** The meta value holding the script's last slot taken. */
function scheduleOf(script: string): string {
  return `start-slot:${script}`;
}

/** Milliseconds between two starts of a script allowed `ratePerSecond` starts a second. */
export function spacingMs(ratePerSecond: number): number {
  return (1000 + START_JITTER_MS) / ratePerSecond;
}

/**
 * Takes the script's next start slot if it is at most `horizonMs` away: one spacing after the slot taken
 * before it, or now if that has passed. Either way, how many ms away it is; the caller waits that long to
 * start, or (not taken) comes back when the slot is within its horizon.
 */
export function takeStartSlot(
  store: KeyStore,
  script: string,
  ratePerSecond: number,
  horizonMs: number,
): Promise<{ taken: boolean; inMs: number }> {
  return store.takeSlot(scheduleOf(script), spacingMs(ratePerSecond), Math.max(0, horizonMs));
}
