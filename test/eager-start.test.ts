// Eager workflow start, as `superscript dev` uses it (API and worker in one process): the run's first
// workflow task comes back with the start and goes straight to the local worker. What a start means for
// the key does not change: one execution, duplicates attach or replay, conflicts are refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@temporalio/client';
import { connectWorker, temporalTarget } from '../src/config/temporal-connection.js';
import { KeyConflictError } from '../src/errors.js';
import { paymentSpec } from '../src/runs/requests.js';
import { createWorker } from '../src/worker/worker.js';
import { startStack, type Stack } from './support/harness.js';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';

let eager: Stack;
let plain: Stack;
before(async () => {
  [eager, plain] = await Promise.all([startStack({ eager: true }), startStack()]);
});
after(async () => {
  await Promise.all([eager.stop(), plain.stop()]);
});

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** Whether the server handed the run's first workflow task to the starter (its started event says so). */
async function startedEagerly(stack: Stack, workflowId: string): Promise<boolean> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  assert.ok(started, 'the first event is the run start');
  return started.eagerExecutionAccepted === true;
}

const pay = (stack: Stack, orderId: string, amount = 10) =>
  startOrAttach(stack.runs, paymentSpec(stack.registry, stack.taskQueue, { orderId, amount }), 30_000);

test('with a local worker on the queue, a run starts eagerly; a duplicate replays it and runs nothing', async () => {
  const orderId = `eager-${uid()}`;
  const first = await pay(eager, orderId);
  assert.equal(first.executed, true);
  assert.equal(first.run.status, 'succeeded');
  assert.equal(await startedEagerly(eager, first.run.workflowId), true);

  const again = await pay(eager, orderId);
  assert.equal(again.executed, false);
  assert.equal(again.replayed, true);
  assert.deepEqual(again.run.result, first.run.result);
  await assert.rejects(pay(eager, orderId, 11), KeyConflictError);
  assert.equal(eager.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test('concurrent requests for a new key under eager start: one executes, all attach to its result', async () => {
  const orderId = `eager-conc-${uid()}`;
  const all = await Promise.all(Array.from({ length: 20 }, () => pay(eager, orderId)));
  assert.equal(all.filter((r) => r.executed).length, 1);
  const results = all.map((r) => r.run.result as RunResult);
  for (const r of all) assert.equal(r.run.status, 'succeeded');
  assert.ok(results.every((r) => r.runId === results[0]!.runId));
  assert.equal(eager.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test('without a local worker sharing the connection, runs start the ordinary way', async () => {
  const r = await pay(plain, `plain-${uid()}`);
  assert.equal(r.executed, true);
  assert.equal(await startedEagerly(plain, r.run.workflowId), false);
});

test('a starter whose worker polls another queue does not take the task: the worker on the run queue does', async () => {
  // The starter's connection hosts a worker, but for a different queue: the SDK asks for no eager start.
  const target = temporalTarget(plain.address);
  const connection = await connectWorker(target);
  const other = await createWorker({
    connection,
    client: plain.client,
    namespace: target.namespace,
    taskQueue: `${plain.taskQueue}-other`,
    registry: plain.registry,
    dataDir: plain.dataDir,
    keyStore: plain.keys,
    requireReservation: false,
    shutdownGraceMs: 0,
  });
  const running = other.run();
  try {
    const runs = {
      client: plain.client,
      taskQueue: plain.taskQueue,
      keys: plain.keys,
      eagerStarter: new Client({ connection, namespace: target.namespace }),
    };
    const r = await startOrAttach(
      runs,
      paymentSpec(plain.registry, plain.taskQueue, { orderId: `other-${uid()}`, amount: 1 }),
      30_000,
    );
    assert.equal(r.executed, true);
    assert.equal(r.run.status, 'succeeded');
    assert.equal(await startedEagerly(plain, r.run.workflowId), false);
  } finally {
    other.shutdown();
    await running;
    await connection.close();
  }
});
