// The run contract at its edges, on the real server: only SuperScript's own runs are reachable, runs holding
// data SuperScript did not write read as foreign without breaking anything, racing retries are held to one
// run by the server's request-ID dedup, a terminated run reads the same to everyone, waits are bounded and
// end with their caller, and every route takes every valid key.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildApi } from '../src/api/server.js';
import { scriptRunSpec } from '../src/runs/requests.js';
import { batchPlan } from '../src/runs/batches/specs.js';
import { RunStateError } from '../src/errors.js';
import { retryRun } from '../src/runs/retry.js';
import { batchRequest } from '../src/shared/batches.js';
import { batchPartWorkflowId, batchWorkflowId } from '../src/shared/ids.js';
import { REQUEST_MEMO, RunFailureTypes, runIdentity } from '../src/shared/runs.js';
import { WorkflowTypes } from '../src/shared/workflow-types.js';
import { handWorker, type HandAnswers } from './support/hand-worker.js';
import { awaitOutcome } from '../src/runs/outcome.js';
import { startBatch } from '../src/runs/batches/start.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';
import { startStack, type Stack } from './support/harness.js';
import { httpJson } from './support/http.js';
import { eventually } from './support/poll.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ api: true });
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

const call = (base: string, method: string, url: string, body?: unknown, signal?: AbortSignal) =>
  httpJson(base, method, url, body, {}, signal);
const api = (method: string, url: string, body?: unknown) => call(stack.api!.url, method, url, body);

test('workflows that are not SuperScript runs on its task queue are not found, listed or attached to', async () => {
  const spec = scriptRunSpec(stack.registry, stack.taskQueue, {
    script: 'exit-with',
    args: { code: 0 },
    key: 'x',
  });
  // One of our types on another task queue, and another type on ours: both stay open (no worker polls).
  const foreign = [
    { id: `foreign-queue-${uid()}`, type: WorkflowTypes.script, taskQueue: `elsewhere-${uid()}` },
    { id: `foreign-type-${uid()}`, type: 'SomeoneElsesWorkflow', taskQueue: stack.taskQueue },
  ];
  for (const f of foreign) {
    await stack.client.workflow.start(f.type, {
      workflowId: f.id,
      taskQueue: f.taskQueue,
      args: [{ ...spec.input, key: f.id }],
    });
  }
  try {
    for (const f of foreign) {
      assert.equal((await api('GET', `/v1/runs/${f.id}`)).status, 404, f.id);
      assert.equal((await api('POST', `/v1/runs/${f.id}/cancel`, {})).status, 404, f.id);
      assert.equal((await api('POST', `/v1/runs/${f.id}/retry`, {})).status, 404, f.id);
      const taken = await call(stack.api!.url, 'POST', '/v1/runs', {
        script: 'exit-with',
        args: { code: 0 },
        key: f.id,
      });
      assert.equal(taken.status, 422, f.id);
      assert.match(taken.body.message, /not a SuperScript run/);
      const d = await stack.client.workflow.getHandle(f.id).describe();
      assert.equal(d.status.name, 'RUNNING', 'untouched');
    }
    const listed = await api('GET', '/v1/runs?limit=1000');
    assert.ok(
      !listed.body.runs.some((r: { workflowId: string }) => foreign.some((f) => f.id === r.workflowId)),
    );
  } finally {
    for (const f of foreign) await stack.client.workflow.getHandle(f.id).terminate('test cleanup');
  }
});

test('runs holding what SuperScript did not write read as foreign; listings, reads and batch pages still answer', async () => {
  // A stack of its own with no worker: the test's hand-made worker ends its runs and answers their queries.
  const bare = await startStack({ api: true, worker: false });
  const { client, taskQueue } = bare;
  const bareApi = (method: string, url: string, body?: unknown) => call(bare.api!.url, method, url, body);
  const json = (v: unknown) => client.options.loadedDataConverter.payloadConverter.toPayload(v);
  // An encoding the SDK's converter does not know, as another SDK's converter may write.
  const undecodable = {
    metadata: { encoding: new TextEncoder().encode('binary/x-not-superscript') },
    data: new TextEncoder().encode('?'),
  };
  const id = (what: string) => `foreign-${what}-${uid()}`;
  const runs = {
    badJsonMemo: id('memo-json'),
    wrongShapeMemo: id('memo-shape'),
    undecodableMemo: id('memo-encoding'),
    badInput: id('input'),
    badDetails: id('details'),
    badResult: id('result'),
    undecodableResult: id('result-encoding'),
  };
  const own = id('own');
  const batches = { badMemo: `fm-${uid()}`, badAnswers: `fa-${uid()}` };
  const ends = new Map<string, HandAnswers['end']>([
    [
      runs.badDetails,
      {
        failure: {
          message: 'failed by hand',
          applicationFailureInfo: {
            type: RunFailureTypes.failed,
            details: { payloads: [json({ exitCode: 'none' })] },
          },
        },
      },
    ],
    [runs.badResult, { result: json({ outcome: 'succeeded', stdout: 5 }) }],
    [runs.undecodableResult, { result: undecodable }],
  ]);
  // Every query gets an answer of no shape SuperScript's workflows give.
  const worker = handWorker(client, taskQueue, (workflowId) => ({
    end: ends.get(workflowId),
    query: json({ total: 'many' }),
  }));
  const input = (key: string) => ({ script: 'exit-with', args: { code: 0 }, key });
  const started: string[] = [];
  const start = async (type: string, workflowId: string, options: object = {}) => {
    await client.workflow.start(type, { taskQueue, workflowId, args: [input(workflowId)], ...options });
    started.push(workflowId);
  };
  try {
    await start(WorkflowTypes.script, runs.badJsonMemo, { memo: { [REQUEST_MEMO]: '{not json' } });
    await start(WorkflowTypes.script, runs.wrongShapeMemo, { memo: { [REQUEST_MEMO]: '{"script": 5}' } });
    await client.workflowService.startWorkflowExecution({
      namespace: client.options.namespace,
      requestId: randomUUID(),
      workflowId: runs.undecodableMemo,
      workflowType: { name: WorkflowTypes.script },
      taskQueue: { name: taskQueue },
      input: { payloads: [json(input(runs.undecodableMemo))] },
      memo: { fields: { [REQUEST_MEMO]: undecodable } },
    });
    started.push(runs.undecodableMemo);
    await start(WorkflowTypes.script, runs.badInput, {
      args: [{ ...input(runs.badInput), retryOf: 'someone' }],
    });
    for (const w of [runs.badDetails, runs.badResult, runs.undecodableResult])
      await start(WorkflowTypes.script, w);
    await start(WorkflowTypes.orchestrator, batchWorkflowId(batches.badMemo), {
      memo: { [REQUEST_MEMO]: '{not json' },
    });
    // A batch whose memo is SuperScript's, but whose coordinator and part answer queries with other things.
    const identity = runIdentity(batchRequest(1, 'a'.repeat(64)));
    await start(WorkflowTypes.orchestrator, batchWorkflowId(batches.badAnswers), identity);
    await start(WorkflowTypes.batchPart, batchPartWorkflowId(batches.badAnswers, 0), identity);
    const ownSpec = scriptRunSpec(bare.registry, taskQueue, input(own));
    await startOrAttach(bare.runs, ownSpec, 0);
    started.push(own);

    const expected: Record<string, string> = {
      [runs.badJsonMemo]: 'running',
      [runs.wrongShapeMemo]: 'running',
      [runs.undecodableMemo]: 'running',
      [runs.badInput]: 'running',
      [runs.badDetails]: 'failed',
      [runs.badResult]: 'succeeded',
      [runs.undecodableResult]: 'succeeded',
    };
    for (const [workflowId, status] of Object.entries(expected)) {
      const read = await eventually(
        `${workflowId} to read ${status}`,
        async () => {
          const r = await bareApi('GET', `/v1/runs/${workflowId}`);
          return r.status !== 200 || r.body.status === status ? r : undefined;
        },
        10_000,
      );
      assert.equal(read.status, 200, `${workflowId}: ${JSON.stringify(read.body)}`);
      assert.equal(read.body.foreign, true, workflowId);
      assert.equal(read.body.request, undefined, workflowId);
      assert.equal(read.body.result, undefined, workflowId);
      assert.equal(read.body.retryOf, undefined, workflowId);
    }
    const ownRead = await bareApi('GET', `/v1/runs/${own}`);
    assert.equal(ownRead.status, 200);
    assert.equal(ownRead.body.foreign, undefined);
    assert.deepEqual(ownRead.body.request, { script: 'exit-with', args: { code: 0 } });

    // A listing is the key store's keys: runs that never claimed one (these never reached a worker) are
    // not in it, and nothing they hold breaks it.
    const listed = await bareApi('GET', '/v1/runs?limit=1000');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(
      listed.body.runs.map((v: { workflowId: string; status: string; request: unknown }) => [
        v.workflowId,
        v.status,
        v.request,
      ]),
      [[own, 'running', { script: 'exit-with', args: { code: 0 } }]],
    );
    const failed = await bareApi('GET', '/v1/runs?status=failed&limit=1000');
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    assert.deepEqual(failed.body.runs, []);

    // A key whose memo SuperScript did not write is not taken for any request.
    const taken = await bareApi('POST', '/v1/runs', { ...input(runs.badJsonMemo), key: runs.badJsonMemo });
    assert.equal(taken.status, 422, JSON.stringify(taken.body));

    const batchList = await eventually(
      'both batches to be listed',
      async () => {
        const r = await bareApi('GET', '/v1/batches?limit=1000');
        return r.status !== 200 || r.body.batches.length === 2 ? r : undefined;
      },
      15_000,
    );
    assert.equal(batchList.status, 200, JSON.stringify(batchList.body));
    const listedBatch = (batchId: string) =>
      batchList.body.batches.find((b: { batchId: string }) => b.batchId === batchId);
    assert.equal(listedBatch(batches.badMemo).foreign, true);
    assert.equal(listedBatch(batches.badAnswers).foreign, undefined);
    assert.equal(listedBatch(batches.badAnswers).orders, 1);
    for (const batchId of Object.values(batches)) {
      const batch = await bareApi('GET', `/v1/batches/${batchId}`);
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      assert.deepEqual(
        [batch.body.status, batch.body.foreign, batch.body.progress],
        ['running', true, undefined],
      );
    }
    const orders = await bareApi('GET', `/v1/batches/${batches.badAnswers}/orders`);
    assert.equal(orders.status, 200, JSON.stringify(orders.body));
    assert.deepEqual(orders.body, { orders: [], foreign: true });
  } finally {
    try {
      await worker.stop();
    } finally {
      for (const w of started) {
        await client.workflow
          .getHandle(w)
          .terminate('test cleanup')
          .catch(() => undefined); // ended already
      }
      await bare.stop();
    }
  }
});

test('retries of one run share its grant and request ID: one run between them, even after it ended', async () => {
  const key = `explicit-${uid()}`;
  const spec = scriptRunSpec(stack.registry, stack.taskQueue, {
    script: 'exit-with',
    args: { code: 4 },
    key,
  });
  const first = await startOrAttach(stack.runs, spec, 30_000);
  assert.equal(first.run.status, 'failed');
  const retry = (runId?: string) =>
    retryRun(stack.runs, stack.registry, key, { by: 'test', ...(runId ? { runId } : {}) }, 30_000);
  const retried = await retry(first.run.runId);
  assert.equal(retried.executed, true);
  assert.equal(retried.run.status, 'failed');
  // The retried run was retried: a retry naming it again is refused, whatever Temporal's reuse policy allows.
  await assert.rejects(retry(first.run.runId), RunStateError);
  // Callers racing to retry the retry run get one grant, one request ID, one run; exactly one executed it.
  const racers = await Promise.all([1, 2, 3].map(() => retry(retried.run.runId)));
  assert.equal(racers.filter((r) => r.executed).length, 1);
  assert.equal(new Set(racers.map((r) => r.run.runId)).size, 1);
  assert.equal((await stack.client.workflow.count(`WorkflowId = '${key}'`)).count, 3);
});

test('a terminated run reads "terminated" alone, to the batch that started it, and to a later batch', async () => {
  const alone = `term-alone-${uid()}`;
  const inBatch = `term-batch-${uid()}`;
  const slow = process.env.PAYMENT_DELAY_SECONDS;
  process.env.PAYMENT_DELAY_SECONDS = '30'; // the worker's scripts read it: long enough to be terminated midway
  try {
    const started = await api('POST', '/v1/payments?wait=0', { orderId: alone, amount: 1 });
    assert.equal(started.status, 202);
    await scriptStarted(`payment-${alone}`);
    await stack.client.workflow.getHandle(`payment-${alone}`).terminate('operator ended it');

    const batch = batchPlan(stack.registry, stack.taskQueue, {
      batchId: `term-${uid()}`,
      orders: [{ orderId: inBatch, amount: 1 }],
    });
    await startBatch(stack.runs, batch, 0);
    await scriptStarted(`payment-${inBatch}`);
    await stack.client.workflow.getHandle(`payment-${inBatch}`).terminate('operator ended it');
    await awaitOutcome(stack.client, batch.coordinator.workflowId, undefined, 30_000);
    const [first] = (await stack.runs.batchOrders(batch.batchId, { limit: 100 })).orders;
    assert.equal(first?.outcome, 'terminated');
    assert.equal(first?.disposition, 'executed');
    assert.equal(first?.status, 'unknown');
  } finally {
    process.env.PAYMENT_DELAY_SECONDS = slow;
  }

  const again = await api('POST', '/v1/payments', { orderId: alone, amount: 1 });
  assert.equal(again.body.status, 'terminated');
  assert.equal(again.body.replayed, true);
  const read = await api('GET', `/v1/runs/payment-${alone}`);
  assert.equal(read.body.status, 'terminated');
  // A later batch and a standalone request for the batch's order read the same word.
  const later = batchPlan(stack.registry, stack.taskQueue, {
    batchId: `term-later-${uid()}`,
    orders: [{ orderId: inBatch, amount: 1 }],
  });
  await startBatch(stack.runs, later, 30_000);
  const [second] = (await stack.runs.batchOrders(later.batchId, { limit: 100 })).orders;
  assert.equal(second?.outcome, 'terminated');
  assert.equal(second?.disposition, 'already_done');
  const request = await api('POST', '/v1/payments', { orderId: inBatch, amount: 1 });
  assert.equal(request.body.status, 'terminated');
});

/** Until the key's run has started its script, as the key store records it. */
function scriptStarted(key: string) {
  return eventually(
    `the script of ${key} to start`,
    async () => ((await stack.keys.get(key))?.state === 'running' ? true : undefined),
    15_000,
  );
}

test('a run terminated before its script started ran nothing: the key failed, and a retry runs it once', async () => {
  const orderId = `term-early-${uid()}`;
  const key = `payment-${orderId}`;
  // No worker polls this stack's queue while the run waits, so it cannot have started its script.
  const quiet = await startStack({ worker: false, api: true });
  try {
    const call2 = (method: string, url: string, body?: unknown) => call(quiet.api!.url, method, url, body);
    assert.equal((await call2('POST', '/v1/payments?wait=0', { orderId, amount: 2 })).status, 202);
    await quiet.client.workflow.getHandle(key).terminate('operator ended it before it started');
    const again = await call2('POST', '/v1/payments', { orderId, amount: 2 });
    assert.equal(again.body.status, 'failed');
    assert.match(again.body.message, /before its script started: nothing ran/);
    assert.equal((await quiet.keys.get(key))?.state, 'failed');
    await quiet.addWorker();
    const retried = await call2('POST', `/v1/runs/${key}/retry`, { reason: 'it never ran' });
    assert.equal(retried.status, 200);
    assert.equal(retried.body.status, 'succeeded');
    assert.equal(retried.body.executed, true);
    assert.equal(quiet.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
  } finally {
    await quiet.stop();
  }
});

test('waits are bounded (503 + Retry-After, nothing started) and end when their caller goes away', async () => {
  const app = buildApi({
    runs: stack.runs,
    dataDir: stack.dataDir,
    waitMs: 30_000,
    maxWaits: 1,
    logLevel: 'silent',
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const tag = `w${uid()}`.toLowerCase();
    const gone = new AbortController();
    const waiting = call(
      base,
      'POST',
      '/v1/runs',
      { script: 'sleeper', args: { seconds: 3, tag }, key: `wait-${tag}` },
      gone.signal,
    );
    waiting.catch(() => {});
    await eventually(
      'the first run to start',
      () => (stack.executions(tag).length > 0 ? true : undefined),
      10_000,
    );

    const refusedKey = `refused-${tag}`;
    const refused = await call(base, 'POST', '/v1/runs', {
      script: 'exit-with',
      args: { code: 0 },
      key: refusedKey,
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refused.body.message, /already waiting/);
    assert.equal(
      (await stack.client.workflow.count(`WorkflowId = '${refusedKey}'`)).count,
      0,
      'nothing started',
    );
    const noWait = await call(base, 'POST', '/v1/runs?wait=0', {
      script: 'exit-with',
      args: { code: 0 },
      key: `nowait-${tag}`,
    });
    assert.equal(noWait.status, 202, 'a request that does not wait is not held back');

    gone.abort();
    // The first caller left: its wait ends long before its 3 s script does, and frees the place.
    const next = await eventually(
      'the wait of the caller that left to end',
      async () => {
        const res = await call(base, 'POST', '/v1/runs', {
          script: 'exit-with',
          args: { code: 0 },
          key: `next-${tag}`,
        });
        return res.status === 503 ? undefined : res;
      },
      10_000,
    );
    assert.equal(next.status, 200);
    const first = await awaitOutcome(stack.client, `wait-${tag}`, undefined, 30_000);
    assert.equal(first.status, 'succeeded', 'the run went on without its caller');
  } finally {
    await app.close();
  }
});

test('a key of the longest allowed length works on every route', async () => {
  const key = `k${uid()}`.padEnd(200, 'x');
  const started = await call(stack.api!.url, 'POST', '/v1/runs', {
    script: 'exit-with',
    args: { code: 0 },
    key,
  });
  assert.equal(started.status, 200);
  assert.equal((await api('GET', `/v1/runs/${key}`)).status, 200);
  assert.equal((await api('POST', `/v1/runs/${key}/cancel`, {})).status, 409, 'ended: nothing to cancel');
  assert.equal((await api('POST', `/v1/runs/${key}/retry`, {})).status, 409, 'succeeded: never rerun');
  assert.equal((await api('GET', `/v1/runs/${key}x`)).status, 400, 'one over is a clear 400');
});

test('the payment script through POST /v1/runs runs under its order key, so it never charges an order twice', async () => {
  const orderId = `via-runs-${uid()}`;
  const paid = await api('POST', '/v1/payments', { orderId, amount: 3 });
  assert.equal(paid.body.executed, true);
  const again = await api('POST', '/v1/runs', { script: 'collect-payment', args: { orderId, amount: 3 } });
  assert.equal(again.status, 200);
  assert.equal(again.body.executed, false, 'the same key as the payment: replayed, not charged');
  assert.equal(again.body.workflowId, `payment-${orderId}`);
  const otherKey = await api('POST', '/v1/runs', {
    script: 'collect-payment',
    args: { orderId, amount: 3 },
    key: `another-${orderId}`,
  });
  assert.equal(otherKey.status, 400);
  assert.match(otherKey.body.message, /payment-/);
  assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});
