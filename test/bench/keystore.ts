// `npx tsx bench/keystore.ts [count]`: the key store's single-row latency, one call at a time (insert, update,
// get, each `count` times, 500 by default), on the SQLite file and on a PostgreSQL this script starts on
// loopback with the machine's binaries. Prints p50, p90 and p99 in milliseconds.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openKeyStore } from '../../src/keystore/open.js';
import type { KeyStore } from '../../src/keystore/store.js';
import { startKeyStorePostgres } from '../support/postgres.js';
import { percentiles, timed } from './stats.js';
import type { KeyEvent, KeyRecord } from '../../src/shared/schemas/keys.js';

const COUNT = Number(process.argv[2] ?? 500);
/** Calls made before measuring, per operation: the first open connections and cold caches. */
const WARMUP = 20;

// tsx turns source maps on, which makes every Error dearer; users run the build without them.
process.setSourceMapsEnabled(false);

const now = new Date().toISOString();
const record = (key: string, version: number): KeyRecord => ({
  key,
  script: 'payment',
  request: `{"args":{"amount":12,"orderId":"${key}"},"script":"payment"}`,
  state: version === 1 ? 'reserved' : 'succeeded',
  runId: version === 1 ? null : `run-${key}`,
  attempts: version === 1 ? 0 : 1,
  origin: 'superscript',
  by: 'bench',
  grant: null,
  // A payment's result: a few hundred bytes, as most scripts' are.
  result:
    version === 1
      ? null
      : {
          outcome: 'succeeded',
          exitCode: 0,
          signal: null,
          stdout: `charged 12 for ${key}\n`.repeat(8),
          stderr: '',
          stdoutTruncated: false,
          stderrTruncated: false,
          startedAt: now,
          endedAt: now,
          durationMs: 212,
          attempt: 1,
          workflowId: key,
          runId: `run-${key}`,
        },
  message: null,
  createdAt: now,
  startedAt: now,
  updatedAt: now,
  endedAt: version === 1 ? null : now,
  version,
});
const event = (kind: KeyEvent['kind'], state: KeyEvent['state']): KeyEvent => ({
  at: now,
  kind,
  runId: null,
  by: 'bench',
  state,
  detail: null,
});

async function measure(store: KeyStore): Promise<string[]> {
  const keys = Array.from({ length: COUNT + WARMUP }, (_, i) => `bench-${i}`);
  const operations: [string, (key: string) => Promise<unknown>][] = [
    ['insert', (key) => store.insert(record(key, 1), event('reserved', 'reserved'))],
    ['update', (key) => store.update(record(key, 2), 1, event('ended', 'succeeded'))],
    ['get', (key) => store.get(key)],
  ];
  const lines = [];
  for (const [name, call] of operations) {
    const samples = [];
    for (const [i, key] of keys.entries()) {
      const ms = await timed(() => call(key));
      if (i >= WARMUP) samples.push(ms);
    }
    const p = percentiles(samples);
    lines.push(`${store.describe.split(':')[0]} ${name}`.padEnd(18) + ms(p.p50) + ms(p.p90) + ms(p.p99));
  }
  return lines;
}

const ms = (n: number) => n.toFixed(3).padStart(10);

const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-bench-keystore-'));
const { postgres, url } = await startKeyStorePostgres(dir);
try {
  const urls = [`sqlite:${path.join(dir, 'keys.sqlite')}`, url];
  console.log(`${COUNT} calls each, one at a time, after ${WARMUP} unmeasured; Node ${process.version}`);
  console.log(
    'backend operation'.padEnd(18) + 'p50 ms'.padStart(10) + 'p90 ms'.padStart(10) + 'p99 ms'.padStart(10),
  );
  for (const url of urls) {
    const store = await openKeyStore(url, 'bench');
    try {
      for (const line of await measure(store)) console.log(line);
    } finally {
      await store.close();
    }
  }
} finally {
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
