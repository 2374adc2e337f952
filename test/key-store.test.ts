// The key store's promise on a real Temporal server: a key's script runs at most once whoever starts its
// workflow (the API, a workflow started by hand with any Temporal client, an explicit retry racing a hand-
// started run), and a key is answered from the store after Temporal has forgotten it. Every count comes from
// the scripts' own side effects (the payment ledger, a sleeper's executions log), never from SuperScript.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { recordEnd } from '../src/keystore/transitions.js';
import { WorkflowTypes } from '../src/shared/workflow-types.js';
import { runCli } from './support/cli.js';
import { startStack, uid, type Stack } from './support/harness.js';
import { FIXTURES, ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';
import { apiClient } from './support/http.js';
import { scrape, total } from './support/prometheus.js';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { awaitOutcome } from '../src/runs/outcome.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';

let stack: Stack;
let call: ReturnType<typeof apiClient>;
before(async () => {
  stack = await startStack({ api: true });
  call = apiClient(() => stack.api!.url);
});
after(() => stack.stop());

const charges = (orderId: string) => stack.ledger().filter((l) => l.split(' ')[1] === orderId).length;

/** Starts a workflow by its type name, as any Temporal client can, and waits for how it ends. */
async function byHand(
  type: string,
  workflowId: string,
  input: unknown,
  s: Stack = stack,
): Promise<{ status: 'completed' | 'failed'; type?: string; message?: string; result?: RunResult }> {
  const handle = await s.client.workflow.start(type, {
    taskQueue: s.taskQueue,
    workflowId,
    args: [input],
    // A closed run under the ID does not stop a client that asks for a new one.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  try {
    return { status: 'completed', result: (await handle.result()) as RunResult };
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (!(cause instanceof ApplicationFailure)) throw err;
    return {
      status: 'failed',
      type: cause.type ?? undefined,
      message: cause.message,
      result: cause.details?.[0] as RunResult | undefined,
    };
  }
}

const payment = (orderId: string, amount: number, extra: object = {}) => ({ orderId, amount, ...extra });

test('a payment started by hand for a key that is done, failed, unknown or in flight runs nothing', async () => {
  // Done: paid through the API.
  const done = `kh-done-${uid()}`;
  assert.equal((await call('POST', '/v1/payments', payment(done, 12.5))).body.status, 'succeeded');
  // Failed: a script run that exited 3.
  const failedKey = `kh-failed-${uid()}`;
  assert.equal(
    (await call('POST', '/v1/runs', { script: 'exit-with', args: { code: 3 }, key: failedKey })).body.status,
    'failed',
  );
  // Unknown: a payment whose run the key store records as started, with no attempt left.
  const unknown = `kh-unknown-${uid()}`;
  const delay = process.env.PAYMENT_DELAY_SECONDS;
  process.env.PAYMENT_DELAY_SECONDS = '30';
  let inFlight: string;
  try {
    const held = await call('POST', '/v1/payments?wait=0', payment(unknown, 4));
    assert.equal(held.status, 202);
    inFlight = `kh-flight-${uid()}`;
    assert.equal((await call('POST', '/v1/payments?wait=0', payment(inFlight, 9))).status, 202);
    await eventually(
      'both scripts to start',
      async () =>
        (await stack.keys.get(`payment-${unknown}`))?.state === 'running' &&
        (await stack.keys.get(`payment-${inFlight}`))?.state === 'running'
          ? true
          : undefined,
      15_000,
    );
    // The run of `unknown` is cut off: terminated mid-script, its outcome is whatever Temporal says.
    await stack.client.workflow.getHandle(`payment-${unknown}`).terminate('operator ended it');
    assert.equal((await call('GET', `/v1/runs/payment-${unknown}`)).body.status, 'terminated');

    // Now every one of them, started again by hand with the same and with other arguments.
    const cases = [
      [`payment-${done}`, payment(done, 12.5)],
      [`payment-${done}`, payment(done, 999)],
      [`payment-${unknown}`, payment(unknown, 4)],
      [
        `payment-${unknown}`,
        payment(unknown, 4, { retryOf: { runId: 'x', by: 'me', grant: 'forged-token-0000' } }),
      ],
    ] as const;
    for (const [id, input] of cases) {
      const r = await byHand(WorkflowTypes.payment, id, input);
      assert.equal(r.status, 'failed', id);
      assert.equal(r.type, 'RunRefused', `${id}: ${r.message}`);
    }
    const refusedFailed = await byHand(WorkflowTypes.script, failedKey, {
      script: 'exit-with',
      args: { code: 3 },
      key: failedKey,
    });
    assert.equal(refusedFailed.type, 'RunRefused');
    // The same request as a finished run: refused, naming its run and carrying its result.
    const same = await byHand(WorkflowTypes.payment, `payment-${done}`, payment(done, 12.5));
    const paid = (await call('GET', `/v1/runs/payment-${done}`)).body;
    assert.match(same.message!, new RegExp(`run ${paid.runId} ended succeeded`));
    assert.deepEqual(same.result?.stdout, paid.result.stdout);
    // In flight: a hand-started run cannot even start while the key's run holds the workflow ID.
    await assert.rejects(
      stack.client.workflow.start(WorkflowTypes.payment, {
        taskQueue: stack.taskQueue,
        workflowId: `payment-${inFlight}`,
        args: [payment(inFlight, 9)],
      }),
      /already started/i,
    );
  } finally {
    process.env.PAYMENT_DELAY_SECONDS = delay;
  }
  await eventually(
    'the in-flight payment to end',
    async () =>
      (await call('GET', `/v1/runs/payment-${inFlight}`)).body.status === 'succeeded' ? true : undefined,
    60_000,
  );
  // The original requests still get their own runs' answers.
  const again = await call('POST', '/v1/payments', payment(done, 12.5));
  assert.equal(again.body.replayed, true);
  assert.equal(again.body.result.stdout, (await call('GET', `/v1/runs/payment-${done}`)).body.result.stdout);
  assert.equal((await call('POST', '/v1/payments', payment(done, 999))).status, 422);
  assert.equal(charges(done), 1);
  assert.equal(charges(unknown) <= 1, true, 'terminated mid-script: charged at most once, never again');
  const chargedUnknown = charges(unknown);
  assert.equal(charges(inFlight), 1);
  assert.equal((await call('POST', '/v1/payments', payment(unknown, 4))).body.status, 'terminated');
  assert.equal(charges(unknown), chargedUnknown);
});

test('a fresh key started by hand runs once; the request it did not make is refused, the same one replayed', async () => {
  const orderId = `kh-fresh-${uid()}`;
  const first = await byHand(WorkflowTypes.payment, `payment-${orderId}`, payment(orderId, 999));
  assert.equal(first.status, 'completed');
  assert.equal(charges(orderId), 1);
  const record = await stack.keys.get(`payment-${orderId}`);
  assert.equal(record?.origin, 'temporal', 'claimed by a run SuperScript did not start');
  // The example: the original request is not taken for a match of the hand-started one.
  const original = await call('POST', '/v1/payments', payment(orderId, 12.5));
  assert.equal(original.status, 422);
  assert.match(original.body.message, /different arguments \(amount\)/);
  const same = await call('POST', '/v1/payments', payment(orderId, 999));
  assert.equal(same.body.replayed, true);
  assert.equal(same.body.runId, first.result?.runId);
  assert.equal(charges(orderId), 1);
});

test('with SUPERSCRIPT_REQUIRE_RESERVATION, access to Temporal alone runs nothing', async () => {
  const strict = await startStack({ api: true, requireReservation: true });
  try {
    const orderId = `kh-strict-${uid()}`;
    const r = await byHand(WorkflowTypes.payment, `payment-${orderId}`, payment(orderId, 5), strict);
    assert.equal(r.type, 'RunRefused');
    assert.match(r.message!, /never reserved through SuperScript/);
    assert.equal(strict.ledger().length, 0);
    assert.equal(await strict.keys.get(`payment-${orderId}`), undefined, 'a refusal records nothing');
    // Through the front door the same order runs, once.
    const paid = await apiClient(() => strict.api!.url)('POST', '/v1/payments', payment(orderId, 5));
    assert.equal(paid.body.status, 'succeeded');
    assert.equal(paid.body.executed, true);
    assert.equal(strict.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
  } finally {
    await strict.stop();
  }
});

test("a key's history deleted from Temporal: the same request replays, a changed one is refused, nothing runs", async () => {
  const orderId = `kh-deleted-${uid()}`;
  const key = `payment-${orderId}`;
  const paid = await call('POST', '/v1/payments', payment(orderId, 7));
  assert.equal(paid.body.status, 'succeeded');
  await stack.client.workflowService.deleteWorkflowExecution({
    namespace: stack.client.options.namespace,
    workflowExecution: { workflowId: key },
  });
  // Temporal deletes asynchronously, once the run's own pending tasks are done: under CI's load that has
  // taken over a minute.
  await eventually(
    'Temporal to forget the run',
    () =>
      stack.client.workflow
        .getHandle(key)
        .describe()
        .then(
          () => undefined,
          (err: unknown) => (err instanceof WorkflowNotFoundError ? true : undefined),
        ),
    180_000,
    250,
  );
  const again = await call('POST', '/v1/payments', payment(orderId, 7));
  assert.equal(again.status, 200);
  assert.equal(again.body.replayed, true);
  assert.deepEqual(again.body.result, paid.body.result, 'the original result, byte for byte');
  assert.equal((await call('POST', '/v1/payments', payment(orderId, 8))).status, 422);
  const read = (await call('GET', `/v1/runs/${key}`)).body;
  assert.equal(read.status, 'succeeded');
  assert.equal(read.onlyInKeyStore, true);
  // A hand-started run for the forgotten key is refused where it would run.
  const hand = await byHand(WorkflowTypes.payment, key, payment(orderId, 7));
  assert.equal(hand.type, 'RunRefused');
  assert.equal(charges(orderId), 1);
});

test('an explicit retry and a hand-started run race for a failed key: only the retry runs, once', async () => {
  const tag = `kh-race-${uid()}`;
  const key = `tell-${tag}`;
  const failed = await call('POST', '/v1/runs', { script: 'tell', args: { tag, seconds: 0, code: 4 } });
  assert.equal(failed.body.status, 'failed');
  // The hand-started run claims to be a retry, with a grant the key store never gave.
  const forged = await byHand(WorkflowTypes.script, key, {
    script: 'tell',
    args: { tag, seconds: 0, code: 0 },
    key,
    retryOf: { runId: failed.body.runId, by: 'intruder', grant: 'not-the-grant-00000000' },
  });
  assert.equal(forged.type, 'RunRefused');
  const [retry, hand] = await Promise.all([
    call('POST', `/v1/runs/${key}/retry`, { reason: 'race' }),
    byHand(WorkflowTypes.script, key, { script: 'tell', args: { tag, seconds: 0, code: 4 }, key }).catch(
      (err: Error) => ({ status: 'refused-start', type: err.name, message: err.message }),
    ),
  ]);
  assert.equal(retry.status, 200, JSON.stringify(retry.body));
  assert.notEqual(hand.type, undefined);
  assert.equal(stack.executions(tag).length, 2, 'the first run and the retry: nothing else ran');
  const history = await runCli(['keys', 'show', key], stack.env);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /granted .*retry: race/);
  assert.match(history.stdout, /explicit retry of run/);
});

test('the key store has the outcome when Temporal timed the activity out: it is read back, not declared unknown', async () => {
  const side = await startStack({ worker: false });
  // A worker in its own process, so it can die for real between the store hearing the end and Temporal.
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'superscript.js'), 'worker'], {
    env: { ...process.env, ...side.env, SUPERSCRIPT_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    const tag = `kh-back-${uid()}`;
    const { scriptRunSpec } = await import('../src/runs/requests.js');
    const spec = scriptRunSpec(side.registry, side.taskQueue, {
      script: 'sleeper',
      args: { seconds: 20, tag },
      key: `back-${tag}`,
    });
    const started = await startOrAttach(side.runs, spec, 0);
    const record = await eventually(
      'the script to start',
      async () => {
        const r = await side.keys.get(spec.workflowId);
        return r?.state === 'running' ? r : undefined;
      },
      30_000,
    );
    // The key is marked running just before the spawn: the script writes its line a moment later.
    await eventually(
      'the script to write its line',
      () => (side.executions(tag).length ? true : undefined),
      30_000,
    );
    // The worker records the end in the store and is gone before Temporal hears of it.
    const result: RunResult = {
      outcome: 'succeeded',
      exitCode: 0,
      signal: null,
      stdout: 'recorded by the worker that died\n',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      startedAt: record.startedAt,
      endedAt: new Date().toISOString(),
      durationMs: 1,
      attempt: 1,
      workflowId: spec.workflowId,
      runId: started.run.runId,
      request: record.request,
    };
    await recordEnd(side.keys, spec.workflowId, started.run.runId, { outcome: 'succeeded', result });
    child.kill('SIGKILL');
    await side.addWorker(); // takes the run over once its heartbeat times out
    const ended = await awaitOutcome(side.client, spec.workflowId, undefined, 30_000);
    assert.equal(ended.status, 'succeeded', ended.message);
    assert.deepEqual(ended.result, result);
    assert.equal(side.executions(tag).length, 1, 'not run again');
  } finally {
    child.kill('SIGKILL');
    await side.stop();
  }
});

test('with the key store unreachable nothing runs: the run waits and says so, then runs once', async () => {
  const side = await startStack({ api: true });
  const file = path.join(side.dataDir, 'keys.sqlite');
  try {
    const sideCall = apiClient(() => side.api!.url);
    const tag = `kh-down-${uid()}`;
    renameSync(file, `${file}.away`);
    // The API starts nothing it cannot record: 503, send again.
    const refused = await sideCall('POST', '/v1/runs', {
      script: 'tell',
      args: { tag, seconds: 0, code: 0 },
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(
      (await side.client.workflow.count(`WorkflowId = 'tell-${tag}'`)).count,
      0,
      'nothing started',
    );
    const health = await sideCall('GET', '/healthz');
    assert.equal(health.status, 503);
    assert.match(health.body.message, /key store/i);
    // A run started by hand reaches the worker, which starts nothing and tries again.
    const handle = await side.client.workflow.start(WorkflowTypes.script, {
      taskQueue: side.taskQueue,
      workflowId: `tell-${tag}`,
      args: [{ script: 'tell', args: { tag, seconds: 0, code: 0 }, key: `tell-${tag}` }],
    });
    const waiting = await eventually(
      'the run to say it waits for the key store',
      async () => {
        const d = await handle.describe();
        const failure = d.raw.pendingActivities?.[0]?.lastFailure;
        return failure?.applicationFailureInfo?.type === 'KeyStoreUnavailable' ? failure : undefined;
      },
      20_000,
    );
    assert.match(waiting.message ?? '', /did not start; the run waits and tries again/);
    assert.equal(side.executions(tag).length, 0);
    const metrics = await scrape(`${side.api!.url}/metrics`);
    assert.ok(total(metrics, 'superscript_key_store_unavailable_total', { step: 'claim' }) >= 1);
    renameSync(`${file}.away`, file);
    assert.equal((await handle.result()).outcome, 'succeeded');
    assert.equal(side.executions(tag).length, 1, 'ran once, when the store was back');
  } finally {
    try {
      renameSync(`${file}.away`, file);
    } catch {
      // already back
    }
    await side.stop();
  }
});

test("keys of a script's template belong to it: another script cannot take or probe them", async () => {
  const orderId = `kh-own-${uid()}`;
  const probe = (key: string) => call('POST', '/v1/runs', { script: 'echo-text', args: { text: 'hi' }, key });
  // The same answer whether the order was paid or not: nothing to learn, nothing taken.
  const before = await probe(`payment-${orderId}`);
  await call('POST', '/v1/payments', payment(orderId, 3));
  const afterPaid = await probe(`payment-${orderId}`);
  for (const r of [before, afterPaid]) {
    assert.equal(r.status, 400);
    assert.match(r.body.message, /has the form of another script's keys \(payment-\{orderId\}\)/);
  }
  assert.equal(before.body.message, afterPaid.body.message);
  // Nor through exec, nor a workflow started by hand.
  const exec = await runCli(['exec', '--key', `payment-${orderId}-x`, '--', 'true'], stack.env);
  assert.equal(exec.code, 125, exec.stderr);
  const hand = await byHand(WorkflowTypes.script, `payment-${orderId}-y`, {
    script: 'echo-text',
    args: { text: 'hi' },
    key: `payment-${orderId}-y`,
  });
  assert.equal(hand.type, 'RunRefused');
  assert.equal(charges(orderId), 1);
});

test('secrets the registry names are redacted from the output that is kept and replayed', async () => {
  const registryFile = path.join(stack.dataDir, 'redacting.json');
  writeFileSync(
    registryFile,
    JSON.stringify({
      scripts: {
        'print-token': {
          path: path.join(FIXTURES, 'scripts', 'print-token.sh'),
          args: [{ name: 'text', type: 'string' }],
          env: { SECRET_TOKEN: 'sk_live_abc123' },
          redact: ['sk_live_[A-Za-z0-9]+'],
        },
      },
    }),
  );
  const side = await startStack({ api: true, registryFile });
  try {
    const sideCall = apiClient(() => side.api!.url);
    const key = `kh-redact-${uid()}`;
    const body = { script: 'print-token', args: { text: 'billing' }, key };
    const ran = await sideCall('POST', '/v1/runs', body);
    assert.equal(ran.body.status, 'succeeded');
    assert.doesNotMatch(JSON.stringify(ran.body.result), /sk_live_abc123/);
    assert.equal(ran.body.result.stdout, 'token [redacted] used for billing\n');
    assert.equal(ran.body.result.stderr, 'note: [redacted]\n');
    const replay = await sideCall('POST', '/v1/runs', body);
    assert.deepEqual(replay.body.result, ran.body.result);
    assert.doesNotMatch(JSON.stringify(await side.keys.get(key)), /sk_live_abc123/);
  } finally {
    await side.stop();
  }
});

test('keys prune removes keys whose runs ended before a date (admin); export and import carry keys over', async () => {
  const key = `kh-prune-${uid()}`;
  assert.equal((await call('POST', '/v1/runs', { script: 'exit-with', args: { code: 0 }, key })).status, 200);
  const shown = await call('GET', `/v1/keys/${key}`);
  assert.equal(shown.status, 200);
  assert.equal(shown.body.record.state, 'succeeded');
  assert.equal(shown.body.keptDays, null);
  assert.deepEqual(
    shown.body.events.map((e: { kind: string }) => e.kind),
    // Claimed and started in one write: nothing stands between them for an uncapped script.
    ['reserved', 'spawned', 'ended'],
  );
  // Exported, then pruned, then imported into the same store again: the key is back as it was.
  const exportFile = path.join(stack.dataDir, `export-${uid()}.jsonl`);
  const exported = await runCli(['keys', 'export', '--out', exportFile], stack.env);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal((await call('POST', '/v1/keys/prune', { before: '2999-01-01T00:00:00Z' })).status, 400);
  const pruned = await call('POST', '/v1/keys/prune', { before: new Date().toISOString() });
  assert.equal(pruned.status, 200);
  assert.ok(pruned.body.removed >= 1);
  assert.equal((await call('GET', `/v1/keys/${key}`)).status, 404);
  const imported = await runCli(['keys', 'import', exportFile], stack.env);
  assert.equal(imported.code, 0, imported.stderr);
  assert.deepEqual((await call('GET', `/v1/keys/${key}`)).body, shown.body);
});
