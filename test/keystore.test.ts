// The key store's contract, one suite run against both backends: the SQLite file in a temporary folder, and a
// PostgreSQL this file starts itself (the machine's binaries, as `cluster up` runs them). Then each backend's
// failures: a file gone, damaged or locked; a database stopped, absent or silent; all KeyStoreUnavailableError.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KEY_STORE_DATABASE } from '../src/cluster/key-store-db.js';
import type { Postgres } from '../src/cluster/postgres.js';
import { freePort } from '../src/devserver/free-port.js';
import { ConfigError, KeyStoreUnavailableError } from '../src/errors.js';
import { openKeyStore } from '../src/keystore/open.js';
import { loadSqlite } from '../src/keystore/quiet-sqlite.js';
import type { KeyStore, Notice } from '../src/keystore/store.js';
import type { KeyEvent, KeyRecord } from '../src/shared/schemas/keys.js';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { startKeyStorePostgres } from './support/postgres.js';

const OPEN_MODULE = fileURLToPath(new URL('../src/keystore/open.ts', import.meta.url));
const { DatabaseSync } = await loadSqlite();
/** A store that hangs (a timeout missing) fails its test instead of stalling the run. */
const LIMIT = { timeout: 60_000 };
const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-keystore-'));
const sqliteUrl = `sqlite:${path.join(dir, 'keys.sqlite')}`;
let postgres: Postgres | undefined;
let postgresUrl = '';

before(
  async () => {
    ({ postgres, url: postgresUrl } = await startKeyStorePostgres(dir));
  },
  { timeout: 120_000 },
);

after(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
/** `minutes` after T0, as the store's callers write times. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function record(key: string, over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    key,
    script: 'payment',
    request: `{"args":{"orderId":"${key}"},"script":"payment"}`,
    state: 'reserved',
    runId: null,
    attempts: 0,
    origin: 'superscript',
    by: 'exec',
    grant: null,
    result: null,
    message: null,
    createdAt: at(0),
    startedAt: at(0),
    updatedAt: at(0),
    endedAt: null,
    version: 1,
    ...over,
  };
}

function event(kind: KeyEvent['kind'], state: KeyEvent['state'], over: Partial<KeyEvent> = {}): KeyEvent {
  return { at: at(0), kind, runId: null, by: null, state, detail: null, ...over };
}

/** A record that ended at `endedAt` (minutes after T0), inserted as such. */
const ended = (key: string, minutes: number, over: Partial<KeyRecord> = {}) =>
  record(key, {
    state: 'succeeded',
    runId: `run-${key}`,
    endedAt: at(minutes),
    startedAt: at(minutes - 1),
    ...over,
  });

/** A notice made at T0 (a later one sorts first when listed: b before a). */
function notice(id: string, target = '', body = `{"id":"${id}"}`): Notice {
  return { id, target, type: 'test', body, createdAt: id === 'b' ? at(0.5) : at(0) };
}

const BACKENDS = [
  { name: 'SQLite', url: () => sqliteUrl },
  { name: 'PostgreSQL', url: () => postgresUrl },
];

for (const backend of BACKENDS) {
  describe(`${backend.name} key store`, () => {
    const opened: KeyStore[] = [];
    /** A store on a scope of its own, closed after the suite. */
    const open = async (scope = `scope-${uid()}`) => {
      const store = await openKeyStore(backend.url(), scope);
      opened.push(store);
      return store;
    };
    after(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });
    /** Two connections to one new scope. */
    const openTwice = async () => {
      const scope = `scope-${uid()}`;
      return [await open(scope), await open(scope)] as const;
    };

    test('the outbox: a notice is written with its key, or not at all', LIMIT, async () => {
      const store = await open();
      await store.insert(record('n'), event('reserved', 'reserved'));
      const failed = record('n', { state: 'failed', runId: 'run-n', endedAt: at(1), version: 2 });
      const stale = record('n', { state: 'failed', runId: 'run-x', endedAt: at(1), version: 2 });
      assert.equal(await store.update(failed, 1, event('ended', 'failed'), notice('n1')), true);
      assert.equal(await store.update(stale, 1, event('ended', 'failed'), notice('stale')), false);
      assert.deepEqual(
        (await store.leaseNotices(at(2), at(3), 10)).map((n) => [n.id, n.target, n.attempts, n.leaseUntil]),
        [['n1', '', 0, at(3)]],
        'the stale write left no notice',
      );
      assert.equal(await store.pendingNotices(), 0, 'a notice awaiting fan-out is no delivery');
    });

    test(
      'the outbox: leased once until the lease runs out; tries recorded; delivered ones pruned',
      LIMIT,
      async () => {
        const store = await open();
        await store.addNotices([notice('a', 'hook'), notice('b', 'hook')]);
        await store.addNotices([notice('a', 'hook', 'a second add changes nothing')]);
        assert.equal(await store.pendingNotices(), 2);
        const [first, second] = await Promise.all([
          store.leaseNotices(at(1), at(2), 10),
          store.leaseNotices(at(1), at(2), 10),
        ]);
        assert.deepEqual(
          [...first!, ...second!].map((n) => n.id).sort(),
          ['a', 'b'],
          'each notice leased by one caller',
        );
        assert.deepEqual(await store.leaseNotices(at(1.5), at(2.5), 10), [], 'held until the lease ends');
        await store.noteAttempt('a', 'hook', { error: 'answered 500', dueAt: at(5) });
        await store.noteAttempt('b', 'hook', { deliveredAt: at(1.5) });
        assert.deepEqual(
          (await store.leaseNotices(at(3), at(4), 10)).map((n) => n.id),
          [],
          'a failed notice waits for its due time; a delivered one is done',
        );
        const again = await store.leaseNotices(at(5), at(6), 10);
        assert.deepEqual(
          again.map((n) => [n.id, n.attempts, n.lastError, n.body]),
          [['a', 1, 'answered 500', '{"id":"a"}']],
        );
        await store.noteAttempt('a', 'hook', { deliveredAt: at(5.5) });
        const listed = await store.notices(10);
        assert.deepEqual(
          listed.map((n) => [n.id, n.attempts, n.deliveredAt, n.lastError]),
          [
            ['b', 1, at(1.5), null],
            ['a', 2, at(5.5), 'answered 500'],
          ],
        );
        assert.deepEqual(await store.notices(10, true), []);
        assert.equal(await store.pendingNotices(), 0);
        await store.prune(at(2));
        assert.deepEqual(
          (await store.notices(10)).map((n) => n.id),
          ['a'],
          'prune removes notices delivered before its date',
        );
      },
    );

    test('inserts a key once: a second insert is refused and writes nothing', LIMIT, async () => {
      const store = await open();
      const first = record('k1');
      assert.equal(await store.insert(first, event('reserved', 'reserved', { by: 'exec' })), true);
      assert.deepEqual(await store.get('k1'), first);
      const other = record('k1', { script: 'other', by: 'someone-else' });
      assert.equal(await store.insert(other, event('reserved', 'reserved', { by: 'someone-else' })), false);
      assert.deepEqual(await store.get('k1'), first);
      assert.deepEqual(await store.events('k1'), [event('reserved', 'reserved', { by: 'exec' })]);
      assert.equal(await store.get('nobody'), undefined);
      await assert.rejects(
        store.insert(record('k2', { version: 2 }), event('reserved', 'reserved')),
        TypeError,
      );
    });

    test(
      'update is a compare-and-set on version: a stale one writes neither record nor event',
      LIMIT,
      async () => {
        const store = await open();
        await store.insert(record('k'), event('reserved', 'reserved'));
        const claimed = record('k', { state: 'claimed', runId: 'run-a', updatedAt: at(1), version: 2 });
        assert.equal(await store.update(claimed, 1, event('claimed', 'claimed', { runId: 'run-a' })), true);
        const rival = record('k', { state: 'claimed', runId: 'run-b', updatedAt: at(2), version: 2 });
        assert.equal(await store.update(rival, 1, event('claimed', 'claimed', { runId: 'run-b' })), false);
        assert.deepEqual(await store.get('k'), claimed);
        assert.deepEqual(
          (await store.events('k')).map((e) => [e.kind, e.runId]),
          [
            ['reserved', null],
            ['claimed', 'run-a'],
          ],
        );
        assert.equal(
          await store.update(record('missing', { version: 2 }), 1, event('claimed', 'claimed')),
          false,
        );
        assert.deepEqual(await store.events('missing'), []);
        await assert.rejects(
          store.update(record('k', { version: 4 }), 2, event('claimed', 'claimed')),
          TypeError,
        );
      },
    );

    test('events come oldest first, the latest `limit` of them when asked', LIMIT, async () => {
      const store = await open();
      const kinds = ['reserved', 'claimed', 'spawned', 'ended', 'granted'] as const;
      await store.insert(record('k'), event(kinds[0], 'reserved', { detail: '0' }));
      for (let v = 1; v < kinds.length; v++) {
        const kind = kinds[v] ?? 'reserved';
        const ok = await store.update(
          record('k', { version: v + 1 }),
          v,
          event(kind, 'running', { detail: `${v}` }),
        );
        assert.ok(ok);
      }
      assert.deepEqual(
        (await store.events('k')).map((e) => e.kind),
        [...kinds],
      );
      assert.deepEqual(
        (await store.events('k', 2)).map((e) => [e.kind, e.detail]),
        [
          ['ended', '3'],
          ['granted', '4'],
        ],
      );
      assert.deepEqual(await store.events('k', 0), []);
    });

    test('getMany returns the keys that exist, for any number of keys', LIMIT, async () => {
      const store = await open();
      for (const key of ['a', 'b', 'c']) await store.insert(record(key), event('reserved', 'reserved'));
      const some = await store.getMany(['a', 'c', 'nobody']);
      assert.deepEqual([...some.keys()].sort(), ['a', 'c']);
      assert.deepEqual(some.get('c'), record('c'));
      assert.equal((await store.getMany([])).size, 0);
      const many = Array.from({ length: 1200 }, (_, i) => `x${i}`);
      assert.deepEqual([...(await store.getMany([...many, 'b'])).keys()], ['b']);
    });

    test('list filters by key, state, script and start time, newest first, to a limit', LIMIT, async () => {
      const store = await open();
      const rows = [
        record('r1', { startedAt: at(1), state: 'running', script: 'payment' }),
        record('r2', { startedAt: at(2), state: 'succeeded', script: 'refund' }),
        record('r3', { startedAt: at(3), state: 'failed', script: 'payment' }),
        record('r4', { startedAt: at(4), state: 'succeeded', script: 'payment' }),
        record('r5', { startedAt: at(4), state: 'running', script: 'refund' }),
      ];
      for (const r of rows) await store.insert(r, event('reserved', 'reserved'));
      const keys = async (filter: Parameters<KeyStore['list']>[0]) =>
        (await store.list(filter)).map((r) => r.key);
      assert.deepEqual(await keys({ limit: 10 }), ['r5', 'r4', 'r3', 'r2', 'r1']);
      assert.deepEqual(await keys({ limit: 2 }), ['r5', 'r4']);
      assert.deepEqual(await keys({ limit: 10, states: ['succeeded', 'failed'] }), ['r4', 'r3', 'r2']);
      assert.deepEqual(await keys({ limit: 10, scripts: ['refund'] }), ['r5', 'r2']);
      assert.deepEqual(await keys({ limit: 10, states: ['running'], scripts: ['payment'] }), ['r1']);
      assert.deepEqual(await keys({ limit: 10, since: at(2), until: at(3) }), ['r3', 'r2']);
      assert.deepEqual(await keys({ limit: 10, since: at(4) }), ['r5', 'r4']);
      assert.deepEqual(await keys({ limit: 10, states: [], scripts: [] }), ['r5', 'r4', 'r3', 'r2', 'r1']);
      assert.deepEqual(await keys({ limit: 10, states: ['cancelled'] }), []);
      assert.deepEqual(await keys({ limit: 10, keys: ['r2', 'r4', 'none'] }), ['r4', 'r2']);
      assert.deepEqual(await keys({ limit: 10, keys: ['r2', 'r4'], scripts: ['payment'] }), ['r4']);
      assert.deepEqual(await keys({ limit: 10, keys: ['none'] }), []);
      assert.deepEqual((await store.list({ limit: 1, scripts: ['payment'] }))[0], rows[3]);
    });

    test('scopes are apart: the same key in two scopes is two keys', LIMIT, async () => {
      const [a, b] = [await open(), await open()];
      assert.equal(
        await a.insert(record('same', { by: 'a' }), event('reserved', 'reserved', { by: 'a' })),
        true,
      );
      assert.equal(
        await b.insert(record('same', { by: 'b' }), event('reserved', 'reserved', { by: 'b' })),
        true,
      );
      assert.equal((await a.get('same'))?.by, 'a');
      assert.equal((await b.getMany(['same'])).get('same')?.by, 'b');
      assert.deepEqual(
        (await b.events('same')).map((e) => e.by),
        ['b'],
      );
      assert.equal(
        await b.update(record('same', { by: 'b2', version: 2 }), 1, event('claimed', 'claimed')),
        true,
      );
      assert.equal((await a.get('same'))?.version, 1);
      assert.deepEqual(
        (await a.list({ limit: 10 })).map((r) => r.by),
        ['a'],
      );
      assert.equal(await a.setMeta('filled', 'yes', 0), true);
      assert.equal(await b.getMeta('filled'), undefined);
      await a.update(ended('same', 1, { version: 2 }), 1, event('ended', 'succeeded'));
      assert.equal(await b.prune(at(100)), 0);
      assert.equal(await a.prune(at(100)), 1);
      assert.equal((await b.get('same'))?.by, 'b2');
    });

    test(
      'prune removes keys that ended before the cutoff, with their histories, in batches',
      LIMIT,
      async () => {
        const store = await open();
        await store.insert(ended('old', 10), event('ended', 'succeeded'));
        await store.update(ended('old', 10, { version: 2 }), 1, event('settled', 'succeeded'));
        await store.insert(ended('new', 30), event('ended', 'succeeded'));
        await store.insert(record('running', { state: 'running' }), event('spawned', 'running'));
        // Ended long ago, then granted a retry and claimed again: no longer ended, so kept.
        await store.insert(ended('retried', 5, { state: 'claimed' }), event('claimed', 'claimed'));
        const many = Array.from({ length: 520 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
        for (const key of many)
          await store.insert(ended(key, 15, { state: 'failed' }), event('ended', 'failed'));
        assert.equal(await store.prune(at(20)), 521);
        assert.equal(await store.get('old'), undefined);
        assert.deepEqual(await store.events('old'), []);
        assert.equal((await store.getMany(many)).size, 0);
        assert.deepEqual((await store.list({ limit: 10 })).map((r) => r.key).sort(), [
          'new',
          'retried',
          'running',
        ]);
        assert.equal((await store.events('new')).length, 1);
        assert.equal(await store.prune(at(20)), 0);
      },
    );

    test(
      'exportAll pages through every key in key order, and importOne brings them back once',
      LIMIT,
      async () => {
        const [from, to] = [await open(), await open()];
        for (const key of ['e', 'c', 'a', 'd', 'b']) {
          await from.insert(record(key), event('reserved', 'reserved', { detail: `${key}0` }));
          await from.update(
            ended(key, 2, { version: 2 }),
            1,
            event('ended', 'succeeded', { detail: `${key}1` }),
          );
        }
        await from.insert(record('f'), event('reserved', 'reserved'));
        const exported = [];
        for await (const entry of from.exportAll(2)) exported.push(entry);
        assert.deepEqual(
          exported.map((e) => e.record.key),
          ['a', 'b', 'c', 'd', 'e', 'f'],
        );
        assert.deepEqual(
          exported[1]?.events.map((e) => e.detail),
          ['b0', 'b1'],
        );
        for (const { record: r, events } of exported) assert.equal(await to.importOne(r, events), true);
        for (const { record: r, events } of exported) assert.equal(await to.importOne(r, events), false);
        const imported = [];
        for await (const entry of to.exportAll()) imported.push(entry);
        assert.deepEqual(imported, exported);
        assert.equal((await to.events('c')).length, 2, 'a refused import appends no events');
        assert.equal(await to.importOne(record('no-history'), []), true);
        assert.deepEqual(await to.events('no-history'), []);
      },
    );

    test('meta is a compare-and-set too: 0 creates, a stale version writes nothing', LIMIT, async () => {
      const store = await open();
      assert.equal(await store.getMeta('backfilled'), undefined);
      assert.equal(await store.setMeta('backfilled', 'no', 1), false);
      assert.equal(await store.setMeta('backfilled', 'no', 0), true);
      assert.equal(await store.setMeta('backfilled', 'again', 0), false);
      assert.deepEqual(await store.getMeta('backfilled'), { value: 'no', version: 1 });
      assert.equal(await store.setMeta('backfilled', 'yes', 1), true);
      assert.equal(await store.setMeta('backfilled', 'stale', 1), false);
      assert.deepEqual(await store.getMeta('backfilled'), { value: 'yes', version: 2 });
    });

    test(
      'a result and a grant come back as the same bytes: key order, control characters, any Unicode',
      LIMIT,
      async () => {
        const store = await open();
        const result = {
          status: 'succeeded',
          exitCode: 0,
          stdout:
            'ok\u0000\u0001\u0007\u001b[31mred\u001b[0m\r\n\ttab "quoted" back\\slash é 日本語 🎉 \u2028 \ud800 end',
          stderr: '',
          zeta: { b: 1.5, a: [1e21, -0.000001, null, true], '': 'empty key' },
          alpha: 'ordered after zeta on purpose',
        };
        const grant = { kind: 'retry' as const, token: 't'.repeat(24), of: 'run-1', by: 'ops', at: at(5) };
        // Fields of any shape and order: the store keeps the text as given, whatever the result holds.
        const stored = result as unknown as RunResult;
        const done = record('bytes', {
          state: 'succeeded',
          result: stored,
          grant,
          message: 'ended ✓\n',
          version: 2,
        });
        await store.insert(record('bytes'), event('reserved', 'reserved'));
        await store.update(done, 1, event('ended', 'succeeded', { detail: 'détail\u0001' }));
        const got = await store.get('bytes');
        assert.equal(JSON.stringify(got?.result), JSON.stringify(result));
        assert.equal(JSON.stringify(got?.grant), JSON.stringify(grant));
        assert.deepEqual(got, done);
        assert.equal(
          JSON.stringify((await store.getMany(['bytes'])).get('bytes')?.result),
          JSON.stringify(result),
        );
        assert.equal(JSON.stringify((await store.list({ limit: 1 }))[0]?.result), JSON.stringify(result));
        assert.equal((await store.events('bytes'))[1]?.detail, 'détail\u0001');
      },
    );

    test(
      'of concurrent updates from the same version, from several connections, exactly one wins',
      LIMIT,
      async () => {
        const [a, b] = await openTwice();
        await a.insert(record('race'), event('reserved', 'reserved'));
        const attempts = Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? a : b).update(
            record('race', { runId: `run-${i}`, state: 'claimed', version: 2 }),
            1,
            event('claimed', 'claimed', { runId: `run-${i}` }),
          ),
        );
        const won = await Promise.all(attempts);
        assert.equal(won.filter(Boolean).length, 1, JSON.stringify(won));
        const events = await a.events('race');
        assert.equal(events.length, 2);
        assert.equal(events[1]?.runId, (await b.get('race'))?.runId);
      },
    );

    test('a schedule hands out slots spacingMs apart, and takes none beyond the horizon', LIMIT, async () => {
      const store = await open();
      const first = await store.takeSlot('start-slot:pay', 300, 1000);
      assert.deepEqual(first, { taken: true, inMs: 0 }, 'a schedule never used starts now');
      const second = await store.takeSlot('start-slot:pay', 300, 1000);
      assert.ok(second.taken && second.inMs > 200 && second.inMs <= 300, JSON.stringify(second));
      const far = await store.takeSlot('start-slot:pay', 300, 100);
      assert.equal(far.taken, false);
      assert.ok(far.inMs > 400 && far.inMs <= 600, `the next slot is ~600 ms away: ${JSON.stringify(far)}`);
      const third = await store.takeSlot('start-slot:pay', 300, 1000);
      assert.ok(third.taken && Math.abs(third.inMs - far.inMs) < 100, 'the refused slot was not used up');
      assert.equal((await store.getMeta('start-slot:pay'))?.version, 3);
      // Other names and other scopes keep schedules of their own.
      assert.deepEqual(await store.takeSlot('start-slot:other', 300, 1000), { taken: true, inMs: 0 });
      assert.deepEqual(await (await open()).takeSlot('start-slot:pay', 300, 1000), { taken: true, inMs: 0 });
      // A schedule idle for longer than a spacing starts now again, not at a slot in the past.
      const quick = await store.takeSlot('start-slot:quick', 20, 1000);
      await new Promise((r) => setTimeout(r, 60));
      assert.deepEqual(
        await store.takeSlot('start-slot:quick', 20, 1000),
        { taken: true, inMs: 0 },
        JSON.stringify(quick),
      );
    });

    test(
      'takers on several connections at once each get their own slot, one spacing apart',
      LIMIT,
      async () => {
        const [a, b] = await openTwice();
        const spacing = 200;
        await a.takeSlot('start-slot:race', spacing, 60_000);
        const first = Number((await a.getMeta('start-slot:race'))?.value);
        const taken = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).takeSlot('start-slot:race', spacing, 60_000)),
        );
        assert.ok(
          taken.every((t) => t.taken),
          JSON.stringify(taken),
        );
        // Every take moves the schedule on by at least one spacing; 20 moved it by exactly 20: each its own slot.
        const last = await b.getMeta('start-slot:race');
        assert.ok(
          Math.abs(Number(last?.value) - (first + 20 * spacing)) < 0.01,
          `${first} -> ${last?.value}`,
        );
        assert.equal(last?.version, 21);
        const waits = taken.map((t) => t.inMs).sort((x, y) => x - y);
        assert.ok(
          waits.at(-1)! > 19 * spacing - 1000,
          `the last slot is ~4 s away: ${JSON.stringify(waits)}`,
        );
      },
    );

    test(
      'of concurrent updates from the same version, from several processes, exactly one wins',
      LIMIT,
      async () => {
        const scope = `scope-${uid()}`;
        const store = await open(scope);
        await store.insert(record('race'), event('reserved', 'reserved'));
        const results = await raceInProcesses(backend.url(), scope, 4);
        assert.equal(results.filter((r) => r === 'won').length, 1, JSON.stringify(results));
        assert.equal(results.filter((r) => r === 'lost').length, 3, JSON.stringify(results));
        const winner = results.indexOf('won');
        assert.equal((await store.get('race'))?.runId, `run-${winner}`);
        assert.deepEqual(
          (await store.events('race')).map((e) => e.runId),
          [null, `run-${winner}`],
        );
      },
    );
  });
}

/**
 * `count` processes each open the store, wait until all have, then try to move the key `race` from version
 * 1 to 2 at once; what each says ('won' or 'lost'), in process order.
 */
async function raceInProcesses(url: string, scope: string, count: number): Promise<string[]> {
  const script = `
    import { openKeyStore } from ${JSON.stringify(pathToFileURL(OPEN_MODULE).href)};
    const [url, scope, record, event] = process.argv.slice(1);
    const store = await openKeyStore(url, scope);
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    const won = await store.update(JSON.parse(record), 1, JSON.parse(event));
    process.stdout.write(won ? 'won\\n' : 'lost\\n');
    await store.close();
    process.exit(0);
  `;
  const children = Array.from({ length: count }, (_, i) => {
    const r = record('race', { runId: `run-${i}`, state: 'claimed', version: 2 });
    const e = event('claimed', 'claimed', { runId: `run-${i}` });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        url,
        scope,
        JSON.stringify(r),
        JSON.stringify(e),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    const exited = new Promise<string>((resolve, reject) =>
      child.once('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`child ${i} exited ${code}`)),
      ),
    );
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('ready') && resolve());
      void exited.catch(reject);
    });
    return { child, ready, exited };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const { child } of children) child.stdin.end('go\n');
  const outputs = await Promise.all(children.map((c) => c.exited));
  return outputs.map((o) => o.replace('ready\n', '').trim());
}

/** Resolves with what `promise` was rejected with, and how long that took; fails if it resolved. */
async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  assert.fail('expected a rejection');
}

function assertUnavailable(error: unknown, pattern: RegExp): void {
  assert.ok(error instanceof KeyStoreUnavailableError, `not KeyStoreUnavailableError: ${String(error)}`);
  assert.match(error.message, pattern);
}

describe('SQLite key store failures', () => {
  const fresh = () => {
    const folder = path.join(dir, `sqlite-${uid()}`);
    mkdirSync(folder);
    return { folder, file: path.join(folder, 'keys.sqlite') };
  };

  test(
    'a folder that does not exist, a path that is a folder, a file that is not a store',
    LIMIT,
    async () => {
      const missing = path.join(dir, `gone-${uid()}`, 'keys.sqlite');
      assertUnavailable(
        (await failure(openKeyStore(`sqlite:${missing}`, 's'))).error,
        /folder .* does not exist/,
      );
      const { file } = fresh();
      mkdirSync(file);
      assertUnavailable((await failure(openKeyStore(`sqlite:${file}`, 's'))).error, /it is a folder/);
      const other = fresh();
      writeFileSync(other.file, 'these are not the bytes of an SQLite database, '.repeat(200));
      assertUnavailable((await failure(openKeyStore(`file:${other.file}`, 's'))).error, /damaged or is not/);
    },
  );

  test(
    'a file removed or replaced while open is refused, never carried on in or recreated',
    LIMIT,
    async () => {
      const { folder, file } = fresh();
      const store = await openKeyStore(`sqlite:${file}`, 's');
      try {
        await store.insert(record('k'), event('reserved', 'reserved'));
        rmSync(folder, { recursive: true });
        assertUnavailable((await failure(store.get('k'))).error, /removed/);
        assertUnavailable(
          (await failure(store.insert(record('j'), event('reserved', 'reserved')))).error,
          /removed/,
        );
        assertUnavailable((await failure(store.ping())).error, /removed/);
        mkdirSync(folder);
        const other = await openKeyStore(`sqlite:${file}`, 's');
        await other.close();
        assertUnavailable((await failure(store.get('k'))).error, /replaced/);
      } finally {
        await store.close();
      }
    },
  );

  test(
    'a write lock held past the busy timeout is reported, and the store works once it is let go',
    LIMIT,
    async () => {
      const { file } = fresh();
      const store = await openKeyStore(`sqlite:${file}`, 's');
      const holder = new DatabaseSync(file);
      try {
        assert.equal(holder.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
        holder.exec('BEGIN IMMEDIATE');
        const { error } = await failure(store.insert(record('k'), event('reserved', 'reserved')));
        assertUnavailable(error, /stayed locked by another process/);
        holder.exec('ROLLBACK');
        assert.equal(await store.insert(record('k'), event('reserved', 'reserved')), true);
        assert.equal((await store.events('k')).length, 1, 'the failed insert left nothing behind');
      } finally {
        holder.close();
        await store.close();
      }
    },
  );

  test(
    'URLs: sqlite: and file: paths resolve from the current folder; anything else is a ConfigError',
    LIMIT,
    async () => {
      const store = await openKeyStore(
        'sqlite:' + path.relative(process.cwd(), path.join(fresh().folder, 'k.db')),
        's',
      );
      assert.match(store.describe, /^sqlite:\/.*\/k\.db$/);
      await store.close();
      const viaUrl = await openKeyStore(pathToFileURL(path.join(fresh().folder, 'k.db')).href, 's');
      assert.match(viaUrl.describe, /^sqlite:\/.*\/k\.db$/);
      await viaUrl.close();
      await assert.rejects(openKeyStore('mysql://u:secret@host/db', 's'), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /sqlite:<path/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      });
      await assert.rejects(openKeyStore('sqlite:', 's'), ConfigError);
    },
  );
});

describe('PostgreSQL key store failures', () => {
  // Takes connections and never answers, like a hung server or a firewall that drops packets. Its sockets are
  // closed after the suite, so that a store without a connect timeout fails its test instead of hanging the run.
  const accepted = new Set<net.Socket>();
  const silent = net.createServer((socket) => accepted.add(socket));
  after(() => {
    for (const socket of accepted) socket.destroy();
    silent.close();
  });

  test('describe names host, port and database, never the password', LIMIT, async () => {
    const store = await openKeyStore(postgresUrl, 's');
    try {
      assert.equal(store.describe, `postgres://${postgres?.host}:${postgres?.port}/${KEY_STORE_DATABASE}`);
      assert.ok(!store.describe.includes(encodeURIComponent(postgres?.password ?? '-')));
    } finally {
      await store.close();
    }
  });

  test('a wrong password, no server on the port, a server that never answers', LIMIT, async () => {
    const wrong = new URL(postgresUrl);
    wrong.password = 'not-the-password';
    assertUnavailable(
      (await failure(openKeyStore(wrong.href, 's'))).error,
      /refused the login of the user "temporal"/,
    );
    const port = await freePort();
    const refused = await failure(openKeyStore(`postgres://u:p@127.0.0.1:${port}/keys`, 's'));
    assertUnavailable(refused.error, new RegExp(`127.0.0.1:${port} is not answering.*nothing was run`));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port: silentPort } = silent.address() as net.AddressInfo;
    const hung = await failure(openKeyStore(`postgres://u:p@127.0.0.1:${silentPort}/keys`, 's'));
    assertUnavailable(hung.error, /is not answering/);
    assert.ok(hung.ms < 10_000, `answered after ${hung.ms} ms`);
  });

  test(
    'PostgreSQL stopped: unavailable within seconds; restarted: the same store works again',
    LIMIT,
    async () => {
      assert.ok(postgres);
      const store = await openKeyStore(postgresUrl, `scope-${uid()}`);
      try {
        await store.insert(record('k'), event('reserved', 'reserved'));
        await postgres.stop();
        for (const call of [
          () => store.get('k'),
          () => store.update(record('k', { version: 2 }), 1, event('claimed', 'claimed')),
        ]) {
          const { error, ms } = await failure(call());
          assertUnavailable(
            error,
            new RegExp(`${postgres.host}:${postgres.port} is not answering.*send the same`),
          );
          assert.ok(ms < 10_000, `answered after ${ms} ms`);
        }
        await postgres.start();
        assert.equal((await store.get('k'))?.version, 1, 'the failed update wrote nothing');
        assert.equal(await store.update(record('k', { version: 2 }), 1, event('claimed', 'claimed')), true);
      } finally {
        await store.close();
      }
    },
  );
});
