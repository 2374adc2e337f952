// The workflows on a real Temporal server: started by the start-or-attach module and, as an outside
// client would, by their string type names.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { KeyConflictError } from '../src/errors.js';
import { paymentSpec, scriptRunSpec } from '../src/runs/requests.js';
import { batchPlan } from '../src/runs/batches/specs.js';
import { RunFailureTypes } from '../src/shared/runs.js';
import { WorkflowTypes } from '../src/shared/workflow-types.js';
import * as workflows from '../src/workflows/index.js';
import { startStack, type Stack } from './support/harness.js';
import type { BatchResult } from '../src/shared/schemas/batches.js';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { describeRun } from '../src/runs/read.js';
import { startBatch } from '../src/runs/batches/start.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';
import { causes } from './support/failures.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

test('workflow type constants are the registered function names', () => {
  assert.deepEqual(Object.values(WorkflowTypes).sort(), Object.keys(workflows).sort());
});

test('each workflow starts by its string type name, as an outside client would', async () => {
  const orderId = `ext-${uid()}`;
  const payment = await stack.client.workflow.execute('SinglePaymentCollectionWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `payment-${orderId}`,
    args: [{ orderId, amount: 3 }],
  });
  assert.equal((payment as RunResult).outcome, 'succeeded');
  assert.equal((payment as RunResult).exitCode, 0);

  const key = `ext-script-${uid()}`;
  const script = await stack.client.workflow.execute('ScriptRunWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: key,
    args: [{ script: 'exit-with', args: { code: 0 }, key }],
  });
  assert.equal((script as RunResult).stdout, 'out: exiting with 0\n');

  const batchId = `ext-${uid()}`;
  await stack.client.workflow.start('BatchPartWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `batch-${batchId}:part-0`,
    args: [{ batchId, part: 0, orders: [{ orderId, amount: 3 }] }],
  });
  const batch = (await stack.client.workflow.execute('OrchestratorWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `batch-${batchId}`,
    args: [{ batchId, parts: 1, total: 1, ordersSha256: 'x' }],
  })) as BatchResult;
  assert.equal(batch.progress.alreadyDone, 1, 'the order charged above is not charged again');
  assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test("a batch part of script rows started by hand runs no key twice and takes none of another script's", async () => {
  const orderId = `ext-rows-${uid()}`;
  await stack.client.workflow.execute('SinglePaymentCollectionWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `payment-${orderId}`,
    args: [{ orderId, amount: 3 }],
  });
  const done = `ext-rows-done-${uid()}`;
  await stack.client.workflow.execute('ScriptRunWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: done,
    args: [{ script: 'exit-with', args: { code: 0 }, key: done }],
  });
  const before = await stack.keys.get(done);

  const batchId = `ext-rows-${uid()}`;
  const part = await stack.client.workflow.start('BatchPartWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `batch-${batchId}:part-0`,
    args: [
      {
        batchId,
        part: 0,
        script: 'exit-with',
        orders: [
          { key: done, args: { code: 0 } },
          // The payment's key, claimed for another script by a row nobody checked.
          { key: `payment-${orderId}`, args: { code: 0 } },
        ],
      },
    ],
  });
  // The part runs when its coordinator says so; a row its worker refuses fails the part, and so the batch.
  const batch = stack.client.workflow.execute('OrchestratorWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `batch-${batchId}`,
    args: [{ batchId, parts: 1, total: 2, ordersSha256: 'x', script: 'exit-with' }],
  });
  await assert.rejects(batch, WorkflowFailedError);
  const refused = await part.result().then(
    () => assert.fail('a part with a row its worker refuses cannot succeed'),
    (err: unknown) => err,
  );
  assert.ok(refused instanceof WorkflowFailedError);
  assert.match(causes(refused), new RegExp(`Row "payment-${orderId}"`));
  assert.deepEqual(await stack.keys.get(done), before);
  const payment = await stack.keys.get(`payment-${orderId}`);
  assert.equal(payment?.script, 'collect-payment');
  assert.equal(payment?.state, 'succeeded');
  assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test('a payment runs the script once and returns its output, exit code, times and IDs', async () => {
  const orderId = `wf-${uid()}`;
  const { executed, run } = await startOrAttach(
    stack.runs,
    paymentSpec(stack.registry, stack.taskQueue, { orderId, amount: 42.5 }),
    Infinity,
  );
  assert.equal(executed, true);
  assert.equal(run.workflowId, `payment-${orderId}`);
  assert.equal(run.status, 'succeeded');
  const result = run.result as RunResult;
  assert.equal(result.exitCode, 0);
  assert.equal(result.attempt, 1);
  assert.equal(result.runId, run.runId);
  assert.match(
    result.stdout,
    new RegExp(`charged order ${orderId}: 42.5 \\(run payment-${orderId}/${run.runId}, attempt 1\\)`),
  );
  assert.ok(result.durationMs >= 40, 'the script sleeps 50 ms');
  assert.deepEqual(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test('a script that exits non-zero fails the workflow and keeps its result', async () => {
  const spec = scriptRunSpec(stack.registry, stack.taskQueue, {
    script: 'exit-with',
    args: { code: 7 },
    key: `fail-${uid()}`,
  });
  const { run } = await startOrAttach(stack.runs, spec, Infinity);
  assert.equal(run.status, 'failed');
  const result = run.result as RunResult;
  assert.equal(result.exitCode, 7);
  assert.equal(result.stdout, 'out: exiting with 7\n');
  assert.equal(result.stderr, 'err: exiting with 7\n');
  await assert.rejects(stack.client.workflow.getHandle(spec.workflowId).result(), (err: Error) => {
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, RunFailureTypes.failed);
    return true;
  });
  assert.equal((await describeRun(stack.runs, spec.workflowId)).status.name, 'FAILED');
});

test('the script sees SUPERSCRIPT_* variables and only a controlled environment', async () => {
  process.env.SECRET_OF_THE_WORKER = 'do-not-leak';
  const tag = uid();
  const { run } = await startOrAttach(
    stack.runs,
    scriptRunSpec(stack.registry, stack.taskQueue, { script: 'show-env', args: { tag } }),
    Infinity,
  );
  const env = Object.fromEntries(
    (run.result as RunResult).stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
  assert.equal(run.workflowId, `env-${tag}`, 'the key comes from the script template');
  assert.equal(env.SUPERSCRIPT_KEY, `env-${tag}`);
  assert.equal(env.SUPERSCRIPT_WORKFLOW_ID, `env-${tag}`);
  assert.equal(env.SUPERSCRIPT_RUN_ID, run.runId);
  assert.equal(env.SUPERSCRIPT_ATTEMPT, '1');
  assert.equal(env.SUPERSCRIPT_SCRIPT, 'show-env');
  assert.equal(env.SUPERSCRIPT_DATA_DIR, stack.dataDir);
  assert.equal(env.CONFIGURED, 'yes');
  assert.equal(env.SECRET_OF_THE_WORKER, undefined);
});

test('output over the script cap is truncated and flagged', async () => {
  const { run } = await startOrAttach(
    stack.runs,
    scriptRunSpec(stack.registry, stack.taskQueue, {
      script: 'noisy',
      args: { bytes: 5000 },
      key: `noisy-${uid()}`,
    }),
    Infinity,
  );
  const result = run.result as RunResult;
  assert.equal(result.stdout.length, 1024);
  assert.equal(result.stdoutTruncated, true);
});

test('a script past its timeout is ended and the run is timed_out', async () => {
  const tag = `to-${uid()}`.toLowerCase();
  const { run } = await startOrAttach(
    stack.runs,
    scriptRunSpec(stack.registry, stack.taskQueue, {
      script: 'short-sleeper',
      args: { seconds: 30, tag },
      key: tag,
    }),
    Infinity,
  );
  assert.equal(run.status, 'timed_out');
  assert.equal((run.result as RunResult).signal, 'SIGTERM');
  assert.equal(stack.executions(tag).length, 1);
});

test('a script declared safe to retry is retried by Temporal; others never are', async () => {
  const safe = await startOrAttach(
    stack.runs,
    scriptRunSpec(stack.registry, stack.taskQueue, {
      script: 'flaky-safe',
      args: { code: 1 },
      key: `safe-${uid()}`,
    }),
    Infinity,
  );
  assert.equal(safe.run.status, 'failed');
  assert.equal((safe.run.result as RunResult).attempt, 3, 'maximumAttempts 3 from the registry');
  const unsafe = await startOrAttach(
    stack.runs,
    scriptRunSpec(stack.registry, stack.taskQueue, {
      script: 'exit-with',
      args: { code: 1 },
      key: `unsafe-${uid()}`,
    }),
    Infinity,
  );
  assert.equal((unsafe.run.result as RunResult).attempt, 1);
});

test('a batch charges new orders and reports those already charged alone, each once', async () => {
  const charged = `pre-${uid()}`;
  await startOrAttach(
    stack.runs,
    paymentSpec(stack.registry, stack.taskQueue, { orderId: charged, amount: 1 }),
    Infinity,
  );
  const fresh = [1, 2, 3].map((i) => `new${i}-${uid()}`);
  const orders = [charged, ...fresh].map((orderId) => ({ orderId, amount: 2 }));
  orders[0]!.amount = 1;
  const batchId = `b-${uid()}`;
  const { run } = await startBatch(
    stack.runs,
    batchPlan(stack.registry, stack.taskQueue, { batchId, orders }),
    Infinity,
  );
  const batch = run.result as BatchResult;
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(batch.progress, {
    total: 4,
    done: 4,
    pending: 0,
    succeeded: 3,
    failed: 0,
    unknown: 0,
    alreadyDone: 1,
    conflict: 0,
  });
  const { orders: listed } = await stack.runs.batchOrders(batchId, { limit: 100 });
  assert.deepEqual(
    listed.map((o) => [o.orderId, o.disposition, o.outcome, o.status]),
    [
      [charged, 'already_done', 'succeeded', 'already_done'],
      ...fresh.map((id) => [id, 'executed', 'succeeded', 'succeeded']),
    ],
  );
  for (const orderId of [charged, ...fresh]) {
    assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1, orderId);
  }
});

test('runs a batch starts carry the request fingerprint: a different request for the key is refused', async () => {
  const orderId = `fp-${uid()}`;
  await startBatch(
    stack.runs,
    batchPlan(stack.registry, stack.taskQueue, { batchId: `fp-${uid()}`, orders: [{ orderId, amount: 10 }] }),
    Infinity,
  );
  await assert.rejects(
    startOrAttach(
      stack.runs,
      paymentSpec(stack.registry, stack.taskQueue, { orderId, amount: 999 }),
      Infinity,
    ),
    (err: Error) => err instanceof KeyConflictError && /different arguments \(amount\)/.test(err.message),
  );
  const same = await startOrAttach(
    stack.runs,
    paymentSpec(stack.registry, stack.taskQueue, { orderId, amount: 10 }),
    Infinity,
  );
  assert.equal(same.replayed, true);
  assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test('a batch order whose key holds a different amount is a conflict, not a charge', async () => {
  const orderId = `conf-${uid()}`;
  await startOrAttach(
    stack.runs,
    paymentSpec(stack.registry, stack.taskQueue, { orderId, amount: 1 }),
    Infinity,
  );
  const batchId = `bc-${uid()}`;
  const { run } = await startBatch(
    stack.runs,
    batchPlan(stack.registry, stack.taskQueue, { batchId, orders: [{ orderId, amount: 99 }] }),
    Infinity,
  );
  assert.equal((run.result as BatchResult).progress.conflict, 1);
  const [order] = (await stack.runs.batchOrders(batchId, { limit: 100 })).orders;
  assert.equal(order?.disposition, 'conflict');
  assert.match(order?.message ?? '', /different arguments \(amount\)/);
  assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test('two batches over the same orders charge each order once', async () => {
  const orders = [1, 2, 3, 4, 5].map((i) => ({ orderId: `twin${i}-${uid()}`, amount: 5 }));
  const [a, b] = await Promise.all(
    ['x', 'y'].map((n) =>
      startBatch(
        stack.runs,
        batchPlan(stack.registry, stack.taskQueue, { batchId: `tw-${n}-${uid()}`, orders }),
        Infinity,
      ),
    ),
  );
  const executed = (r: typeof a) => (r!.run.result as BatchResult).progress.succeeded;
  assert.equal(executed(a) + executed(b), 5, 'between them the two batches executed each order once');
  assert.equal((a!.run.result as BatchResult).progress.done, 5);
  for (const { orderId } of orders)
    assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});
