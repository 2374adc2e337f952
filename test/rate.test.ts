// A script's start rate (`ratePerSecond`), on the real server, measured from the scripts' own start times: a
// batch and single payments together on two workers keep to it; starts whose slot is further away than their
// attempt may wait come back later without using up attempts; a bad rate stops the worker at start-up.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runPolicy } from '../src/config/scripts.js';
import type { ScriptRunInput } from '../src/shared/runs.js';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { WorkflowTypes } from '../src/shared/workflow-types.js';
import { runCli } from './support/cli.js';
import { startStack, uid, type Stack } from './support/harness.js';
import { httpJson, untilEnded } from './support/http.js';
import { FIXTURES } from './support/paths.js';

const RATED_REGISTRY = path.join(FIXTURES, 'rated', 'registry.json');

let stack: Stack;
before(async () => {
  stack = await startStack({ api: true, registryFile: RATED_REGISTRY });
});
after(() => stack.stop());

const api = (method: string, url: string, body?: unknown) => httpJson(stack.api!.url, method, url, body);

/** The start times (epoch ms) stamp-start.sh wrote for `name`, in order. */
function starts(name: string): number[] {
  const text = readFileSync(path.join(stack.dataDir, `starts-${name}.log`), 'utf8');
  return text
    .trim()
    .split('\n')
    .map(Number)
    .sort((a, b) => a - b);
}

/** Asserts the rate's two promises over the starts: no second holds more than `rate`, and no bursts. */
function assertRate(times: number[], rate: number, what: string): void {
  let busiest = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j]! - times[i]! < 1000) j++;
    busiest = Math.max(busiest, j - i);
  }
  const spanMs = times.at(-1)! - times[0]!;
  const leastMs = ((times.length - 1) / rate) * 1000;
  console.log(`${what}: at most ${busiest} starts in any second; first to last ${spanMs} ms (>= ${leastMs})`);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assert.ok(busiest <= rate, `${busiest} starts in one second, over the rate of ${rate}; gaps (ms) ${gaps}`);
  assert.ok(spanMs >= leastMs, `${times.length} starts took ${spanMs} ms, under (n - 1) / rate`);
}

test('a batch and single payments together, on two workers, keep to the script rate', async () => {
  const stopExtra = await stack.addWorker();
  try {
    const tag = uid();
    const orders = Array.from({ length: 26 }, (_, i) => ({ orderId: `rate-${tag}-${i}`, amount: 1 }));
    const singles = Array.from({ length: 4 }, (_, i) => ({ orderId: `rate-s-${tag}-${i}`, amount: 1 }));
    const batchId = `rate-${tag}`;
    const answers = await Promise.all([
      api('POST', '/v1/batches', { batchId, orders, maxConcurrent: 26 }),
      ...singles.map((o) => api('POST', '/v1/payments', o)),
    ]);
    for (const a of answers) assert.ok(a.status < 300, JSON.stringify(a.body));
    const ended = await untilEnded(`batch ${batchId}`, () => api('GET', `/v1/batches/${batchId}`), 60_000);
    assert.equal(ended.progress.succeeded, 26, JSON.stringify(ended.progress));
    for (const { orderId } of [...orders, ...singles]) {
      assert.equal(stack.ledger().filter((l) => l.split(' ')[1] === orderId).length, 1, orderId);
    }
    const times = starts('payment');
    assert.equal(times.length, 30);
    assertRate(times, 10, '26 batch orders + 4 single payments at 10/s on two workers');
  } finally {
    await stopExtra();
  }
});

test('a start whose slot is beyond what its attempt may wait comes back for it, with no attempt used up', async () => {
  const name = `far-${uid()}`.toLowerCase();
  const spec = stack.registry.get('stamped');
  // A start-to-close 2 s over the script's longest run (5 s + 1 s grace) lets an attempt wait about 1 s, so
  // of 8 starts at 4/s (1.8 s of slots) the later ones must end their attempt and come back.
  const policy = { ...runPolicy(spec), startToCloseTimeoutMs: 8000 };
  const results = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const key = `${name}-${i}`;
      const input: ScriptRunInput = { script: 'stamped', args: { name }, key, policy };
      const handle = await stack.client.workflow.start(WorkflowTypes.script, {
        taskQueue: stack.taskQueue,
        workflowId: key,
        args: [input],
      });
      const result = (await handle.result()) as RunResult;
      const history = await handle.fetchHistory();
      const attempts = history.events!.flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
      return { result, temporalAttempt: Math.max(...attempts) };
    }),
  );
  assert.deepEqual(
    results.map((r) => r.result.attempt),
    Array(8).fill(1),
    "the script's own attempts: one start each",
  );
  const deferred = results.filter((r) => r.temporalAttempt > 1).length;
  console.log(`8 starts at 4/s, about 1 s of waiting allowed per attempt: ${deferred} came back later`);
  assert.ok(deferred > 0, 'no start was deferred to a later attempt');
  assertRate(starts(name), 4, '8 starts at 4/s, some deferred');
});

test('a registry with a bad ratePerSecond stops the worker at start-up, naming the field', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-rate-'));
  for (const rate of [0, -5, '20']) {
    const file = path.join(dir, 'registry.json');
    writeFileSync(file, JSON.stringify({ scripts: { pay: { path: 'pay.sh', ratePerSecond: rate } } }));
    const ran = await runCli(['worker'], {
      ...stack.env,
      SUPERSCRIPT_CONFIG: file,
      SUPERSCRIPT_DATA_DIR: dir,
    });
    assert.notEqual(ran.code, 0, `ratePerSecond ${JSON.stringify(rate)} was accepted`);
    assert.match(ran.stderr, /scripts\.pay\.ratePerSecond: ratePerSecond is how many times a second/);
  }
});
