// A script's start rate (the registry's `ratePerSecond`), held across every worker, batch, schedule and
// single request of an installation: each start of the script takes the next slot of one schedule kept in
// the key store, with a compare-and-set, and waits for it. Slots are spaced evenly, so starts never come in
// bursts: n starts take at least (n - 1) / rate seconds, and no second holds more than `rate` of them.
import { KeyStoreUnavailableError } from '../errors.js';
import type { KeyStore } from './store.js';

/**
 * Added to each slot's spacing: a process starts a few milliseconds after its slot, and not always the same
 * few, so slots exactly 1/rate apart could put rate + 1 starts into one second as the script sees them.
 */
const SPAWN_JITTER_MS = 3;

/** How many times a slot may be lost to another worker's compare-and-set before giving up. */
const MAX_RACES = 100;

function meta(script: string): string {
  return `rate:${script}`;
}

/** Milliseconds between two starts of a script allowed `ratePerSecond` starts a second. */
export function spacingMs(ratePerSecond: number): number {
  return 1000 / ratePerSecond + SPAWN_JITTER_MS;
}

/**
 * Takes the script's next start slot and returns when it is (epoch ms): now, if the script has not started
 * for a spacing, else one spacing after the slot taken before it. The caller waits until then to start.
 */
export async function takeStartSlot(
  store: KeyStore,
  script: string,
  ratePerSecond: number,
  now: () => number = Date.now,
): Promise<number> {
  const spacing = spacingMs(ratePerSecond);
  for (let race = 0; race < MAX_RACES; race++) {
    const current = await store.getMeta(meta(script));
    const slot = Math.max(now(), current ? Number(current.value) + spacing : 0);
    if (await store.setMeta(meta(script), String(slot), current?.version ?? 0)) return slot;
  }
  throw new KeyStoreUnavailableError(
    `The start schedule of ${script} kept changing under ${MAX_RACES} attempts to take a slot; nothing started.`,
  );
}
