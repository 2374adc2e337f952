// The run contract over HTTP (POST /v1/runs and friends) on the real server: attach in flight, replay
// after completion, refuse a reused key with other input, cancel, explicit retry, worker death.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { awaitOutcome } from '../src/runs/outcome.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';
import { startStack, type Stack } from './support/harness.js';
import { apiClient } from './support/http.js';
import { ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';
import { alive } from './support/processes.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ api: true });
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const tagOf = () => `t${uid()}`.toLowerCase();

const call = apiClient(() => stack.api!.url);

const startRun = (key: string, script: string, args: unknown, query = '') =>
  call('POST', `/v1/runs${query}`, { script, args }, { 'idempotency-key': key });

/** The pids a sleeper script recorded (its own and its child's), once it has. */
function scriptPids(dataDir: string, tag: string): number[] | undefined {
  try {
    const pids = readFileSync(path.join(dataDir, `pids-${tag}.txt`), 'utf8')
      .trim()
      .split(' ')
      .map(Number);
    return pids.length === 2 ? pids : undefined;
  } catch {
    return undefined;
  }
}

test('no key is a 400, and so is a malformed or oversized key; nothing starts', async () => {
  const tag = tagOf();
  const noKey = await call('POST', '/v1/runs', { script: 'sleeper', args: { seconds: 0, tag } });
  assert.equal(noKey.status, 400);
  assert.match(noKey.body.message, /Idempotency-Key header/);
  for (const key of ['has space', 'x'.repeat(201), '-dash', 'a/b']) {
    const res = await startRun(key, 'sleeper', { seconds: 0, tag });
    assert.equal(res.status, 400, key);
    assert.match(res.body.message, /idempotency key/i);
  }
  const differ = await call(
    'POST',
    '/v1/runs',
    { script: 'sleeper', args: { seconds: 0, tag }, key: 'a' },
    { 'idempotency-key': 'b' },
  );
  assert.equal(differ.status, 400);
  const unknown = await startRun(`k-${uid()}`, 'no-such-script', {});
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.message, /Unknown script "no-such-script"/);
  assert.equal(stack.executions(tag).length, 0);
});

test('a duplicate in flight attaches and gets the same result; nothing runs twice', async () => {
  const tag = tagOf();
  const key = `attach-${tag}`;
  const first = startRun(key, 'sleeper', { seconds: 1, tag });
  await eventually(
    'the first run to start',
    () => (stack.executions(tag).length > 0 ? true : undefined),
    10_000,
  );
  const second = await startRun(key, 'sleeper', { seconds: 1, tag });
  const firstDone = await first;
  assert.equal(firstDone.status, 200);
  assert.equal(second.status, 200);
  assert.equal(firstDone.body.executed, true);
  assert.equal(second.body.executed, false);
  assert.equal(second.body.replayed, false, 'attached in flight, not a replay');
  assert.equal(second.headers.get('idempotent-replayed'), 'false');
  assert.deepEqual(second.body.result, firstDone.body.result);
  assert.equal(stack.executions(tag).length, 1);
});

test('a duplicate that outwaits ?wait gets 202 with a Location to poll', async () => {
  const tag = tagOf();
  const key = `poll-${tag}`;
  const res = await startRun(key, 'sleeper', { seconds: 1, tag }, '?wait=100ms');
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('location'), `/v1/runs/${key}`);
  assert.equal(res.body.status, 'running');
  const done = await eventually(
    'the run to end',
    async () => {
      const view = await call('GET', `/v1/runs/${key}`);
      return view.body.status === 'running' ? undefined : view;
    },
    15_000,
  );
  assert.equal(done.body.status, 'succeeded');
  assert.equal((done.body.result as RunResult).stdout, 'sleeping 1\nwoke up\n');
});

test('after completion a duplicate replays the exact stdout, stderr, exit code and timestamps', async () => {
  const key = `replay-${uid()}`;
  const first = await startRun(key, 'exit-with', { code: 3 });
  assert.equal(first.status, 200);
  assert.equal(first.body.status, 'failed');
  const again = await startRun(key, 'exit-with', { code: 3 });
  assert.equal(again.body.replayed, true);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  const [a, b] = [first.body.result as RunResult, again.body.result as RunResult];
  assert.equal(b.stdout, 'out: exiting with 3\n');
  assert.equal(b.stderr, 'err: exiting with 3\n');
  assert.deepEqual(b, a);
});

test('the same key with other arguments or another script is a 422 naming the mismatch', async () => {
  const key = `mismatch-${uid()}`;
  await startRun(key, 'exit-with', { code: 0 });
  const args = await startRun(key, 'exit-with', { code: 1 });
  assert.equal(args.status, 422);
  assert.match(args.body.message, /different arguments \(code\)/);
  const script = await startRun(key, 'noisy', { bytes: 1 });
  assert.equal(script.status, 422);
  assert.match(script.body.message, /script "exit-with", not "noisy"/);
  const view = await call('GET', `/v1/runs/${key}`);
  assert.deepEqual(view.body.request, { script: 'exit-with', args: { code: 0 } }, 'the run is untouched');
});

test('a reused key with other arguments is refused while the run is still in flight, too', async () => {
  const tag = tagOf();
  const key = `inflight-${tag}`;
  const first = startRun(key, 'sleeper', { seconds: 1, tag });
  await eventually(
    'the first run to start',
    () => (stack.executions(tag).length > 0 ? true : undefined),
    10_000,
  );
  const other = await startRun(key, 'sleeper', { seconds: 2, tag });
  assert.equal(other.status, 422);
  assert.match(other.body.message, /different arguments \(seconds\)/);
  assert.equal((await first).body.status, 'succeeded');
  assert.equal(stack.executions(tag).length, 1);
});

test('cancel ends the script and everything it started', async () => {
  const tag = tagOf();
  const key = `cancel-${tag}`;
  const started = await startRun(key, 'sleeper', { seconds: 60, tag }, '?wait=0');
  assert.equal(started.status, 202);
  await eventually(
    'the script to start',
    () => (stack.executions(tag).length > 0 ? true : undefined),
    15_000,
  );
  const pids = await eventually('its pids', () => scriptPids(stack.dataDir, tag), 15_000);
  assert.ok(pids.every(alive));
  const res = await call('POST', `/v1/runs/${key}/cancel`);
  assert.equal(res.status, 200);
  await eventually('the script tree to end', () => (pids.some(alive) ? undefined : true), 10_000);
  const view = await eventually(
    'the run to end',
    async () => {
      const v = await call('GET', `/v1/runs/${key}`);
      return v.body.status === 'running' ? undefined : v;
    },
    15_000,
  );
  assert.equal(view.body.status, 'cancelled');
  const again = await call('POST', `/v1/runs/${key}/cancel`);
  assert.equal(again.status, 409, 'an ended run cannot be cancelled');
});

test('retry is explicit, recorded, and refused for a run that succeeded', async () => {
  const key = `retry-${uid()}`;
  const failed = await startRun(key, 'exit-with', { code: 2 });
  assert.equal(failed.body.status, 'failed');
  const replay = await startRun(key, 'exit-with', { code: 2 });
  assert.equal(replay.body.runId, failed.body.runId, 'a failed key is not rerun implicitly');
  const retried = await call('POST', `/v1/runs/${key}/retry`, { reason: 'card updated' });
  assert.equal(retried.status, 200);
  assert.equal(retried.body.executed, true);
  assert.notEqual(retried.body.runId, failed.body.runId);
  const history = await stack.client.workflow.getHandle(key, retried.body.runId).fetchHistory();
  const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = JSON.parse(Buffer.from(startedEvent?.input?.payloads?.[0]?.data ?? []).toString());
  const { grant, ...retryOf } = input.retryOf;
  assert.deepEqual(retryOf, {
    runId: failed.body.runId,
    by: 'local (open API)', // the caller, never the body's claim (no tokens file: the open API)
    reason: 'card updated',
  });
  // The key store's grant, which only this run could use; the API never shows it.
  assert.match(grant, /^[0-9a-f-]{36}$/);
  const read = await call('GET', `/v1/runs/${key}`);
  assert.deepEqual(read.body.retryOf, retryOf);
  const ok = await startRun(`retry-ok-${uid()}`, 'exit-with', { code: 0 });
  const refused = await call('POST', `/v1/runs/${ok.body.workflowId}/retry`, {});
  assert.equal(refused.status, 409);
  assert.match(refused.body.message, /succeeded; a key that succeeded is never run again/);
});

test('two racing retries of one failed run start one run between them', async () => {
  const key = `retry-race-${uid()}`;
  const failed = await startRun(key, 'exit-with', { code: 2 });
  const clicks = await Promise.all([1, 2].map(() => call('POST', `/v1/runs/${key}/retry`, {})));
  // The second click either joins the first's retry run (same run ID) or, if it reads the key while that
  // run is in flight, is told it is still running. Never a second new run.
  const started = clicks.filter((c) => c.status === 200);
  assert.ok(started.length >= 1);
  assert.equal(started.filter((c) => c.body.executed).length, 1, 'exactly one click executed it');
  assert.ok(
    clicks.every((c) => c.status === 200 || (c.status === 409 && /still running/.test(c.body.message))),
  );
  assert.equal(new Set(started.map((c) => c.body.runId)).size, 1, 'both clicks got the same retry run');
  assert.notEqual(started[0]!.body.runId, failed.body.runId);
  // And a click that arrives after that retry run has already failed still does not start a third.
  const late = await call('POST', `/v1/runs/${key}/retry`, { runId: failed.body.runId });
  assert.equal(late.status, 409);
  assert.match(late.body.message, /already retried/);
  const runs = await stack.client.workflow.count(`WorkflowId = '${key}'`);
  assert.equal(runs.count, 2, 'the original run and one retry');
});

test('GET /v1/runs lists runs by status and script', async () => {
  const key = `list-${uid()}`;
  await startRun(key, 'exit-with', { code: 5 });
  const listed = await eventually(
    'the run in the listing',
    async () => {
      const res = await call('GET', '/v1/runs?status=failed&script=exit-with&limit=1000');
      return res.body.runs.some((r: { workflowId: string }) => r.workflowId === key) ? res : undefined;
    },
    15_000,
  );
  assert.ok(
    listed.body.runs.every(
      (r: { status: string; request: { script: string } }) =>
        r.status === 'failed' && r.request.script === 'exit-with',
    ),
  );
  const bad = await call('GET', '/v1/runs?status=sideways');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /status/);
});

test('a worker SIGKILLed mid-script: the script is ended, the run is outcome_unknown, nothing reruns', async () => {
  const tag = tagOf();
  const key = `kill-${tag}`;
  // A worker in its own process, so it can die for real; this stack's in-process worker is stopped first.
  const side = await startStack({ worker: false });
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'superscript.js'), 'worker'], {
    env: { ...process.env, ...side.env, SUPERSCRIPT_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    const { scriptRunSpec } = await import('../src/runs/requests.js');
    const spec = scriptRunSpec(side.registry, side.taskQueue, {
      script: 'sleeper',
      args: { seconds: 60, tag },
      key,
    });
    await startOrAttach(side.runs, spec, 0);
    const pids = await eventually('the script to start', () => scriptPids(side.dataDir, tag), 30_000);
    child.kill('SIGKILL');
    await eventually(
      'the orphaned script tree to be reaped',
      () => (pids.some(alive) ? undefined : true),
      10_000,
    );
    await side.addWorker(); // takes over the workflow (not the script) once the heartbeat times out
    const view = await awaitOutcome(side.client, key, undefined, 30_000);
    assert.equal(view.status, 'outcome_unknown');
    assert.match(view.message ?? '', /outcome is unknown/);
    const again = await startOrAttach(side.runs, spec, 5000);
    assert.equal(again.executed, false);
    assert.equal(again.run.status, 'outcome_unknown');
    assert.equal(side.executions(tag).length, 1, 'the script ran once and was not rerun');
  } finally {
    child.kill('SIGKILL');
    await side.stop();
  }
});

test('a worker that shuts down mid-script ends the script; the run is outcome_unknown, not cancelled', async () => {
  const tag = tagOf();
  const key = `shutdown-${tag}`;
  const side = await startStack({ worker: false });
  try {
    const stopFirst = await side.addWorker();
    const { scriptRunSpec } = await import('../src/runs/requests.js');
    await startOrAttach(
      side.runs,
      scriptRunSpec(side.registry, side.taskQueue, { script: 'sleeper', args: { seconds: 60, tag }, key }),
      0,
    );
    const pids = await eventually('the script to start', () => scriptPids(side.dataDir, tag), 30_000);
    await stopFirst(); // shutdownGraceMs 0: running activities are cancelled at once
    // Gone by the time the worker has stopped, give or take the kernel reaping the orphaned sleep.
    await eventually(
      'the script tree to end with its worker',
      () => (pids.some(alive) ? undefined : true),
      2000,
    );
    await side.addWorker();
    const view = await awaitOutcome(side.client, key, undefined, 30_000);
    assert.equal(view.status, 'outcome_unknown');
    assert.match(view.message ?? '', /ended midway because its worker stopped/);
    assert.equal(side.executions(tag).length, 1);
  } finally {
    await side.stop();
  }
});
