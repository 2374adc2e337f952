// Notifications end to end, on the suite's real Temporal server: a webhook receiver this file runs on
// loopback gets signed events for a failed run, a run whose outcome is unknown and a finished batch, each
// once and verified as a receiver would, and a schedule's skipped fires once per total (none for the skips a
// first look finds); while it answers 500 and then is closed, a delivery waits and arrives afterwards with
// the same delivery ID; `superscript notify test` reaches it through a worker; and a config the
// notifications cannot work with is refused at start-up.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { loadRegistry } from '../src/config/scripts.js';
import { ConfigError } from '../src/errors.js';
import { awaitOutcome } from '../src/runs/outcome.js';
import { scriptRunSpec } from '../src/runs/requests.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';
import { openKeyStore } from '../src/keystore/open.js';
import { ScheduleWatch } from '../src/notify/schedule-watch.js';
import { ScheduleService } from '../src/schedules/service.js';
import { noCounts } from '../src/shared/batches.js';
import { startStack, uid, type Stack } from './support/harness.js';
import { runCli } from './support/cli.js';
import { apiClient } from './support/http.js';
import { FIXTURES } from './support/paths.js';
import { eventually, sleep } from './support/poll.js';

const SECRET = 'a-test-signing-key';
const SECRET_ENV = 'SUPERSCRIPT_TEST_NOTIFY_SECRET';
const PUBLIC_URL = 'https://superscript.example/base';
const WATCH_MS = 500;
/** A receiver refuses deliveries stamped further than this from its clock (a replay). */
const REPLAY_WINDOW_S = 300;

interface Delivery {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/** The webhook receiver: records every request; answers 200, or 500 while `failing`. */
class Receiver {
  readonly got: Delivery[] = [];
  failing = false;
  port = 0;
  private server: Server | undefined;

  async open(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const status = this.failing ? 500 : 200;
        this.got.push({ path: req.url ?? '', headers: req.headers, body, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  }

  /** The accepted deliveries to `path`, verified as a receiver verifies them, with their events. */
  accepted(path: string) {
    return this.got
      .filter((d) => d.path === path && d.status === 200)
      .map((d) => ({ ...d, event: verified(d) }));
  }
}

/** A json delivery's event, after checking its signature, timestamp and delivery ID as a receiver would. */
function verified(d: Delivery): Record<string, unknown> & { id: string; type: string } {
  const header = (name: string) => {
    const value = d.headers[name];
    assert.equal(typeof value, 'string', `header ${name}`);
    return value as string;
  };
  const timestamp = header('x-superscript-timestamp');
  assert.ok(Math.abs(Date.now() / 1000 - Number(timestamp)) < REPLAY_WINDOW_S, 'a fresh timestamp');
  const expected = `v1=${createHmac('sha256', SECRET).update(`${timestamp}.${d.body}`).digest('hex')}`;
  const given = header('x-superscript-signature');
  assert.ok(
    given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected)),
    'the signature verifies',
  );
  const event = JSON.parse(d.body) as Record<string, unknown> & { id: string; type: string };
  assert.equal(header('x-superscript-delivery'), event.id);
  assert.equal(header('x-superscript-event'), event.type);
  return event;
}

const receiver = new Receiver();
const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-notify-'));
let stack: Stack;
let stopWorker: () => Promise<void>;
let registryFile: string;
const call = apiClient(() => stack.api!.url);

/** The fixture registry with absolute script paths and `notify` targets, written where the tests can use it. */
function writeRegistry(file: string, notify: unknown[]): string {
  const registry = JSON.parse(readFileSync(path.join(FIXTURES, 'registry.json'), 'utf8')) as {
    scripts: Record<string, { path: string; verify?: { path: string } }>;
  };
  for (const spec of Object.values(registry.scripts)) {
    spec.path = path.resolve(FIXTURES, spec.path);
    if (spec.verify) spec.verify.path = path.resolve(FIXTURES, spec.verify.path);
  }
  writeFileSync(file, JSON.stringify({ ...registry, notify }));
  return file;
}

before(async () => {
  await receiver.open();
  process.env[SECRET_ENV] = SECRET;
  registryFile = writeRegistry(path.join(dir, 'registry.json'), [
    {
      name: 'hook',
      url: `http://127.0.0.1:${receiver.port}/hook`,
      format: 'json',
      secretEnv: SECRET_ENV,
    },
    // Narrowed: failures of exit-with only, so it hears of nothing else.
    {
      name: 'narrow',
      url: `http://127.0.0.1:${receiver.port}/narrow`,
      format: 'json',
      secretEnv: SECRET_ENV,
      events: ['run.failed'],
      scripts: ['exit-with'],
    },
    // Skipped schedule fires of sleeper only.
    {
      name: 'fires',
      url: `http://127.0.0.1:${receiver.port}/fires`,
      format: 'json',
      secretEnv: SECRET_ENV,
      events: ['schedule.skipped'],
      scripts: ['sleeper'],
    },
    // What Slack's incoming webhooks take: unsigned {"text"}.
    {
      name: 'chat',
      url: `http://127.0.0.1:${receiver.port}/chat`,
      format: 'slack',
      events: ['batch.finished'],
    },
  ]);
  // The schedules' counts read every half second, not every 15.
  stack = await startStack({
    api: true,
    worker: false,
    registryFile,
    publicUrl: PUBLIC_URL,
    scheduleWatchMs: WATCH_MS,
  });
  stopWorker = await stack.addWorker();
});

after(async () => {
  await stopWorker();
  await stack.stop();
  await receiver.close();
});

async function startRun(script: string, args: Record<string, string | number>): Promise<string> {
  const spec = scriptRunSpec(stack.registry, stack.taskQueue, { script, args, key: `notify-${uid()}` });
  await startOrAttach(stack.runs, spec, 0);
  return spec.workflowId;
}

/** The one event of `type` about `subject` (a key or batch ID) that reached `path`, after a pause for repeats. */
async function deliveredOnce(path: string, type: string, subject: string) {
  const find = () =>
    receiver
      .accepted(path)
      .filter((d) => d.event.type === type && (d.event.key === subject || d.event.batchId === subject));
  await eventually(`${type} for ${subject} at ${path}`, () => (find().length > 0 ? true : undefined), 60_000);
  await sleep(1500);
  const found = find();
  assert.equal(found.length, 1, `${type} for ${subject} delivered once`);
  return found[0]!.event;
}

test('a failed run: a signed run.failed, once, with a link to its page; the narrowed target hears only that', async () => {
  const key = await startRun('exit-with', { code: 3 });
  assert.equal((await awaitOutcome(stack.client, key, undefined, 30_000)).status, 'failed');
  const event = await deliveredOnce('/hook', 'run.failed', key);
  assert.equal(event.script, 'exit-with');
  assert.equal(event.status, 'failed');
  assert.equal(event.exitCode, 3);
  assert.equal(event.link, `${PUBLIC_URL}/ui/#/runs/${encodeURIComponent(key)}`);
  await deliveredOnce('/narrow', 'run.failed', key);
  // A run that succeeds is no event.
  const fine = await startRun('exit-with', { code: 0 });
  assert.equal((await awaitOutcome(stack.client, fine, undefined, 30_000)).status, 'succeeded');
  await sleep(2000);
  assert.equal(receiver.got.filter((d) => d.body.includes(fine)).length, 0);
});

test('a run whose worker stops mid-script: run.outcome_unknown, with the link where it needs a decision', async () => {
  const key = await startRun('sleeper', { seconds: 60, tag: `notify-${uid()}` });
  await eventually(
    'the script to start',
    async () => ((await stack.keys.get(key))?.state === 'running' ? true : undefined),
    30_000,
  );
  await stopWorker(); // its grace is 0: the script is stopped at once
  stopWorker = await stack.addWorker();
  assert.equal((await awaitOutcome(stack.client, key, undefined, 60_000)).status, 'outcome_unknown');
  const event = await deliveredOnce('/hook', 'run.outcome_unknown', key);
  assert.equal(event.script, 'sleeper');
  assert.match(String(event.message), /may or may not have done its work/);
  assert.equal(event.link, `${PUBLIC_URL}/ui/#/runs/${encodeURIComponent(key)}`);
  assert.equal(receiver.accepted('/narrow').filter((d) => d.event.key === key).length, 0);
});

test('a finished batch: batch.finished with its counts and a link to its page', async () => {
  const batchId = `notify-${uid()}`;
  const orders = [1, 2, 3].map((n) => ({ orderId: `${batchId}-${n}`, amount: n }));
  const started = await call('POST', '/v1/batches', { batchId, orders });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const event = await deliveredOnce('/hook', 'batch.finished', batchId);
  assert.equal(event.status, 'completed');
  assert.deepEqual(event.progress, { ...noCounts(), total: 3, done: 3, pending: 0, succeeded: 3 });
  assert.equal(event.link, `${PUBLIC_URL}/ui/#/batches/${batchId}`);
  const chat = await eventually(
    'the batch in the Slack target',
    () => receiver.got.find((d) => d.path === '/chat' && d.body.includes(batchId)),
    30_000,
  );
  assert.deepEqual(Object.keys(JSON.parse(chat.body) as object), ['text']);
  assert.match(chat.body, /3 succeeded, 0 failed, 0 unknown/);
  assert.ok(chat.body.includes(`<${PUBLIC_URL}/ui/#/batches/${batchId}|open>`));
  assert.equal(chat.headers['x-superscript-signature'], undefined);
});

test('a receiver that answers 500, then is closed, gets the event once it is back, with the same delivery ID', async () => {
  receiver.failing = true;
  const key = await startRun('exit-with', { code: 4 });
  const refused = await eventually(
    'a delivery the receiver refused',
    () => receiver.got.find((d) => d.path === '/hook' && d.status === 500 && d.body.includes(key)),
    60_000,
  );
  const id = verified(refused).id;
  await receiver.close();
  const listed = await eventually(
    'the refusals to show in GET /v1/notifications',
    async () => {
      const res = await call('GET', '/v1/notifications?undelivered=true');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const n = (res.body.notifications as { id: string; target: string; attempts: number }[]).find(
        (x) => x.id === id && x.target === 'hook' && x.attempts >= 2,
      );
      return n && { ...res.body, n };
    },
    60_000,
  );
  assert.ok(listed.pending >= 1);
  assert.match(listed.n.lastError, /ECONNREFUSED|reach/);
  const text = await (await fetch(`${stack.api!.url}/metrics`)).text();
  const failed = /superscript_notify_deliveries_total\{target="hook",outcome="failed"\} (\d+)/.exec(text);
  assert.ok(failed && Number(failed[1]) >= 2, 'failures counted in /metrics');
  assert.match(text, /superscript_notify_pending \d+/);

  receiver.failing = false;
  await receiver.open(); // the same port
  const event = await deliveredOnce('/hook', 'run.failed', key);
  assert.equal(event.id, id, 'the same delivery ID');
  const after = await call('GET', '/v1/notifications');
  const row = (after.body.notifications as { id: string; target: string; deliveredAt: string | null }[]).find(
    (x) => x.id === id && x.target === 'hook',
  );
  assert.ok(row?.deliveredAt, 'shown delivered');
});

test('a 1-second schedule over a slower script: a signed schedule.skipped per new total, never twice', async () => {
  const schedules = new ScheduleService(stack.runs);
  const name = `notify-${uid()}`;
  await schedules.create(
    { name, script: 'sleeper', args: { seconds: 2.5, tag: name }, every: '1s' },
    'notify-test',
  );
  const skipped = () =>
    receiver
      .accepted('/fires')
      .filter((d) => d.event.type === 'schedule.skipped' && d.event.schedule === name)
      .map((d) => d.event);
  try {
    const first = await eventually('a schedule.skipped', () => skipped()[0], 30_000, 200);
    assert.equal(first.script, 'sleeper');
    assert.ok(Number(first.count) >= 1 && Number(first.total) >= Number(first.count), JSON.stringify(first));
    assert.equal(first.link, `${PUBLIC_URL}/ui/#/schedules/${name}`);
    await schedules.pause(name, 'enough');
    // Every skip Temporal counted is noticed; then a few more rounds add nothing.
    const total = (await schedules.describe(name)).fires.skippedOverlap;
    await eventually(
      `a notice at ${total} skipped`,
      () => (skipped().some((e) => e.total === total) ? true : undefined),
      30_000,
      200,
    );
    await sleep(4 * WATCH_MS);
    // Delivered concurrently, so in any order.
    const events = skipped().sort((a, b) => Number(a.total) - Number(b.total));
    assert.equal(new Set(events.map((e) => e.total)).size, events.length, 'one notice per total');
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'one delivery per ID');
    // Each notice counts the skips since the one before it.
    for (const [i, e] of events.entries()) {
      if (i > 0)
        assert.equal(Number(e.total) - Number(e.count), events[i - 1]!.total, JSON.stringify(events));
    }
    assert.equal(receiver.got.filter((d) => d.path === '/narrow' && d.body.includes(name)).length, 0);

    // A watch that sees the schedule for the first time (as after an upgrade) records its totals, and
    // notices nothing: its skips so far are history.
    const fresh = await openKeyStore(`sqlite:${path.join(dir, `fresh-${uid()}.sqlite`)}`, 'fresh');
    const watch = new ScheduleWatch({ keys: fresh, schedules, log: pino({ level: 'silent' }) });
    watch.start();
    try {
      const recorded = await eventually(
        'the first round',
        () => fresh.getMeta(`schedule-fires:${name}`),
        10_000,
        100,
      );
      assert.equal((JSON.parse(recorded.value) as { skipped: number }).skipped, total);
      assert.deepEqual(await fresh.notices(10), []);
    } finally {
      await watch.stop();
      await fresh.close();
    }
  } finally {
    await schedules.delete(name);
  }
});

test('superscript notify test NAME: a test event, delivered through a worker', async () => {
  const env = { ...stack.env, SUPERSCRIPT_CONFIG: registryFile };
  const sent = await runCli(['notify', 'test', 'narrow', '--wait', '30'], env);
  assert.equal(sent.code, 0, sent.stderr + sent.stdout);
  assert.match(sent.stdout, /delivered to narrow/);
  const tests = receiver.accepted('/narrow').filter((d) => d.event.type === 'test');
  assert.equal(tests.length, 1, 'a test event reaches the named target, whatever events it asks for');
  assert.equal(receiver.accepted('/hook').filter((d) => d.event.type === 'test').length, 0);
  const unknown = await runCli(['notify', 'test', 'nobody', '--wait', '1'], env);
  assert.equal(unknown.code, 125);
  assert.match(unknown.stderr, /No notification target "nobody".*hook, narrow, fires, chat/);
});

test(
  'a config the notifications cannot work with is refused at start-up, saying why',
  { timeout: 90_000 },
  async () => {
    const target = {
      name: 'x',
      url: 'http://127.0.0.1:9/x',
      format: 'json',
      secretEnv: 'SUPERSCRIPT_TEST_ABSENT',
    };
    const refused = (notify: unknown[]): string => {
      const file = writeRegistry(path.join(dir, `bad-${uid()}.json`), notify);
      try {
        loadRegistry(file);
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.message;
      }
      assert.fail('loaded a config it should have refused');
    };
    assert.match(refused([{ ...target, events: ['schedule.late'] }]), /notify\.0\.events\.0/);
    assert.match(refused([{ ...target, scripts: ['nope'] }]), /notify\.0\.scripts names "nope"/);
    assert.match(refused([{ ...target, secretEnv: undefined }]), /secretEnv/);
    assert.match(refused([target, target]), /unique/);

    // Valid, but the worker's environment lacks the signing key: the worker does not start.
    const file = writeRegistry(path.join(dir, 'absent-secret.json'), [target]);
    const worker = await runCli(['worker'], { ...stack.env, SUPERSCRIPT_CONFIG: file });
    assert.equal(worker.code, 125, worker.stderr);
    assert.match(
      worker.stderr,
      /target "x" signs its deliveries with the key in the environment variable SUPERSCRIPT_TEST_ABSENT, which is not set/,
    );
  },
);
