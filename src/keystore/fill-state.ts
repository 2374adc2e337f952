// Whether a key store has been filled from Temporal's records, and the lease that lets exactly one process
// fill it: the first start after an upgrade (keys Temporal remembers from before the store) and the first
// start after a restore (keys that ran since the backup) must not look new to anyone.
import os from 'node:os';
import type { KeyStore } from './store.js';

const FILLED = 'filled';
const FILLING = 'filling';
/** A filler renews its lease this often; one that stops renewing is presumed dead after LEASE_MS. */
const RENEW_MS = 5_000;
const LEASE_MS = 30_000;
const POLL_MS = 250;

interface Lease {
  by: string;
  until: string;
}

export async function isFilled(store: KeyStore): Promise<boolean> {
  const filled = await store.getMeta(FILLED);
  return filled !== undefined && filled.value !== '';
}

/** Marks the store as needing a fill again (after a restore); workers claim nothing until it is done. */
export async function markUnfilled(store: KeyStore): Promise<void> {
  for (;;) {
    const filled = await store.getMeta(FILLED);
    if (!filled || filled.value === '') return;
    if (await store.setMeta(FILLED, '', filled.version)) return;
  }
}

/**
 * Runs `fill` in exactly one process of all those sharing the store, then marks the store filled; every
 * other caller waits until it is. A filler that dies loses its lease, and another takes over from the start
 * (filling only adds what is missing, so doing it again is harmless).
 */
export async function fillOnce(store: KeyStore, fill: () => Promise<string>): Promise<void> {
  const me = `${os.hostname()}:${process.pid}`;
  for (;;) {
    if (await isFilled(store)) return;
    const current = await store.getMeta(FILLING);
    const lease = current ? (JSON.parse(current.value) as Lease) : undefined;
    if (lease && lease.by !== me && Date.parse(lease.until) > Date.now()) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      continue;
    }
    const mine = (): string =>
      JSON.stringify({ by: me, until: new Date(Date.now() + LEASE_MS).toISOString() });
    if (!(await store.setMeta(FILLING, mine(), current?.version ?? 0))) continue;
    let version = (current?.version ?? 0) + 1;
    const renew = setInterval(() => {
      void store.setMeta(FILLING, mine(), version).then(
        (ok) => {
          if (ok) version++;
        },
        () => undefined,
      );
    }, RENEW_MS);
    try {
      const summary = await fill();
      await setFilled(store, summary);
      return;
    } finally {
      clearInterval(renew);
    }
  }
}

async function setFilled(store: KeyStore, summary: string): Promise<void> {
  for (;;) {
    const filled = await store.getMeta(FILLED);
    if (await store.setMeta(FILLED, summary, filled?.version ?? 0)) return;
  }
}
