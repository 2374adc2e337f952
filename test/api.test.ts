// The HTTP API over real HTTP, against the real server: payments, traditional, batches, runs, health,
// and the promise that bad input gets a clear 4xx and starts nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { describeRun } from '../src/runs/read.js';
import { startStack, type Stack } from './support/harness.js';
import { apiClient } from './support/http.js';
import { eventually } from './support/poll.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ api: true });
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

const call = apiClient(() => stack.api!.url);

const charges = (orderId: string) => stack.ledger().filter((l) => l.includes(` ${orderId} `)).length;

test('GET /healthz reports Temporal and the key store reachable', async () => {
  const res = await call('GET', '/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ok: true, temporal: 'reachable', keyStore: 'reachable' });
});

test('POST /v1/payments runs once; a later duplicate gets the stored result, marked as a replay', async () => {
  const orderId = `api-${uid()}`;
  const first = await call('POST', '/v1/payments', { orderId, amount: 10 });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('idempotent-replayed'), 'false');
  assert.equal(first.body.executed, true);
  assert.equal(first.body.status, 'succeeded');
  assert.equal(first.body.workflowId, `payment-${orderId}`);
  const second = await call('POST', '/v1/payments', { orderId, amount: 10 });
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(second.body.executed, false);
  assert.equal(second.body.replayed, true);
  assert.deepEqual(second.body.result, first.body.result, 'byte-identical stored result');
  assert.equal(charges(orderId), 1);
});

test('POST /v1/payments/traditional runs the script every time', async () => {
  const orderId = `trad-${uid()}`;
  const results = await Promise.all(
    [1, 2, 3].map(() => call('POST', '/v1/payments/traditional', { orderId, amount: 1 })),
  );
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.body.idempotent, false);
    assert.equal(r.body.result.exitCode, 0);
  }
  assert.equal(charges(orderId), 3);
});

test('a batch over HTTP: 202 with a Location, then its result under GET /v1/batches/:id', async () => {
  const charged = `hb-pre-${uid()}`;
  await call('POST', '/v1/payments', { orderId: charged, amount: 4 });
  const batchId = `hb-${uid()}`;
  const orders = [
    { orderId: charged, amount: 4 },
    { orderId: `hb-new-${uid()}`, amount: 4 },
  ];
  const started = await call('POST', '/v1/batches', { batchId, orders });
  assert.equal(started.status, 202);
  assert.equal(started.headers.get('location'), `/v1/batches/${batchId}`);
  assert.equal(started.body.batchId, batchId);
  let view;
  for (let i = 0; i < 100; i++) {
    view = await call('GET', `/v1/batches/${batchId}`);
    if (view.body.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(view!.status, 200);
  assert.equal(view!.body.status, 'succeeded');
  assert.deepEqual(view!.body.progress, {
    total: 2,
    done: 2,
    pending: 0,
    succeeded: 1,
    failed: 0,
    unknown: 0,
    alreadyDone: 1,
    conflict: 0,
  });
  const again = await call('POST', '/v1/batches?wait=10s', { batchId, orders });
  assert.equal(again.status, 200, 'the same batch ID attaches to the finished batch');
  assert.equal(again.body.replayed, true);
  assert.equal(charges(charged), 1);

  const first = await call('GET', `/v1/batches/${batchId}/orders?limit=1`);
  assert.ok(first.body.nextCursor, 'an opaque cursor to the next page');
  const second = await call(
    'GET',
    `/v1/batches/${batchId}/orders?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
  );
  assert.equal(second.body.nextCursor, undefined);
  assert.deepEqual(
    [...first.body.orders, ...second.body.orders].map((o: { orderId: string }) => o.orderId),
    orders.map((o) => o.orderId),
  );
  assert.deepEqual((await call('GET', `/v1/batches/${batchId}/orders?status=conflict`)).body.orders, []);
  assert.equal((await call('GET', `/v1/batches/${batchId}/orders?cursor=x`)).status, 400);
  assert.equal((await call('GET', `/v1/batches/${batchId}/orders?status=sideways`)).status, 400);
  const listed = await eventually(
    'the batch in the list of batches',
    async () =>
      (await call('GET', '/v1/batches?status=succeeded&limit=1000')).body.batches.find(
        (b: { batchId: string }) => b.batchId === batchId,
      ),
    15_000,
  );
  assert.equal(listed.orders, 2);
  assert.equal(listed.workflowId, `batch-${batchId}`);
  assert.equal((await call('GET', '/v1/batches?status=sideways')).status, 400);
});

test('GET /v1/whoami: without tokens the API is open, and says so', async () => {
  const res = await call('GET', '/v1/whoami');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { name: 'local (open API)', scopes: ['admin'], open: true });
});

test('GET /v1/runs/:id/requests: how this API answered each request for the key', async () => {
  const key = `journal-${uid()}`;
  const args = { seconds: 3, tag: `journal-${uid()}`.toLowerCase() };
  const both = await Promise.all(
    [1, 2].map(() => call('POST', '/v1/runs', { script: 'sleeper', args, key })),
  );
  assert.equal((await call('POST', '/v1/runs', { script: 'sleeper', args, key })).body.replayed, true);
  const other = await call('POST', '/v1/runs', { script: 'sleeper', args: { ...args, seconds: 4 }, key });
  assert.equal(other.status, 422);
  const res = await call('GET', `/v1/runs/${key}/requests`);
  assert.equal(res.status, 200);
  const entries = res.body.entries as { disposition: string; action: string; runId?: string }[];
  assert.deepEqual(
    entries
      .slice(0, 2)
      .map((e) => e.disposition)
      .sort(),
    ['attached', 'executed'],
  );
  assert.deepEqual(
    entries.slice(2).map((e) => e.disposition),
    ['replayed', 'conflict'],
  );
  assert.ok(entries.every((e) => e.action === 'request'));
  assert.equal(entries[0]?.runId, both[0]!.body.runId);
  assert.equal(res.body.dropped, 0);
  assert.ok(Date.parse(res.body.since) <= Date.parse((entries[0] as unknown as { at: string }).at));
  assert.equal((await call('GET', `/v1/runs/journal-none-${uid()}/requests`)).status, 404);
});

test('GET /v1/runs tells failed, timed-out and unknown runs apart, though Temporal lists them all as failed', async () => {
  const timedOut = `list-timeout-${uid()}`;
  const failed = `list-failed-${uid()}`;
  const tag = `list-${uid()}`.toLowerCase();
  await call('POST', '/v1/runs', { script: 'short-sleeper', args: { seconds: 5, tag }, key: timedOut });
  await call('POST', '/v1/runs', { script: 'exit-with', args: { code: 4 }, key: failed });
  const list = async (query: string) =>
    (await call('GET', `/v1/runs?${query}&limit=1000`)).body.runs as { workflowId: string; status: string }[];
  const timedOutRuns = await eventually(
    'the timed-out run in the listing',
    async () => {
      const runs = await list('status=timed_out');
      return runs.some((r) => r.workflowId === timedOut) ? runs : undefined;
    },
    15_000,
  );
  assert.ok(timedOutRuns.every((r) => r.status === 'timed_out'));
  const failedRuns = await list('status=failed');
  assert.ok(failedRuns.some((r) => r.workflowId === failed));
  assert.ok(failedRuns.every((r) => r.status === 'failed'));
  const all = await list('');
  assert.equal(all.find((r) => r.workflowId === timedOut)?.status, 'timed_out');
  assert.equal(all.find((r) => r.workflowId === failed)?.status, 'failed');
});

test('a batch without an ID gets one', async () => {
  const res = await call('POST', '/v1/batches', { orders: [{ orderId: `anon-${uid()}`, amount: 1 }] });
  assert.equal(res.status, 202);
  assert.match(res.body.batchId, /^[0-9a-f-]{36}$/);
});

test('GET /v1/runs/:id reads a run; an unknown ID is 404', async () => {
  const orderId = `read-${uid()}`;
  await call('POST', '/v1/payments', { orderId, amount: 2 });
  const res = await call('GET', `/v1/runs/payment-${orderId}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'succeeded');
  assert.equal(res.body.workflowType, 'SinglePaymentCollectionWorkflow');
  assert.deepEqual(res.body.request, { script: 'collect-payment', args: { orderId, amount: 2 } });
  assert.equal((res.body.result as RunResult).exitCode, 0);
  assert.ok(res.body.startedAt && res.body.closedAt);
  // The key store remembers a key until it is pruned; Temporal keeps the run's history for its retention.
  assert.equal(res.body.dedupWindowDays, null);
  assert.equal(typeof res.body.historyDays, 'number');
  const missing = await call('GET', `/v1/runs/payment-nope-${uid()}`);
  assert.equal(missing.status, 404);
  assert.match(missing.body.message, /No run with workflow ID/);
});

test('bad input gets a 4xx naming the problem and starts nothing', async () => {
  const orderId = `bad-${uid()}`;
  const cases: [string, string, unknown, number, RegExp, Record<string, string>?][] = [
    ['POST', '/v1/payments', { orderId }, 400, /amount/],
    ['POST', '/v1/payments', { orderId, amount: '10' }, 400, /amount.*number/],
    ['POST', '/v1/payments', { orderId, amount: -5 }, 400, /at least 0.01/],
    ['POST', '/v1/payments', { orderId: `${orderId};rm -rf /`, amount: 5 }, 400, /orderId.*must match/],
    ['POST', '/v1/payments', { orderId, amount: 5, extra: true }, 400, /unknown field "extra"/],
    ['POST', '/v1/payments', '{"orderId": ', 400, /not valid JSON/],
    ['POST', '/v1/payments', 'orderId=1', 415, /application\/json/, { 'content-type': 'text/plain' }],
    ['GET', '/v1/payments', undefined, 405, /accepts POST/],
    ['POST', '/v1/batches', { orders: [] }, 400, /non-empty/],
    [
      'POST',
      '/v1/batches',
      {
        orders: [
          { orderId, amount: 1 },
          { orderId, amount: 1 },
        ],
      },
      400,
      /appears twice/,
    ],
    ['POST', '/v1/batches', { batchId: '../x', orders: [{ orderId, amount: 1 }] }, 400, /batchId/],
    ['POST', '/v1/batches', { batchId: 'plan', orders: [{ orderId, amount: 1 }] }, 400, /"plan" is reserved/],
    ['GET', '/v1/batches/plan', undefined, 405, /accepts POST/],
    ['POST', '/v1/payments?wait=forever', { orderId, amount: 5 }, 400, /wait/],
    ['GET', '/v1/nothing', undefined, 404, /No route/],
  ];
  for (const [method, path, body, status, message, headers] of cases) {
    const res = await call(method, path, body, headers);
    assert.equal(
      res.status,
      status,
      `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`,
    );
    assert.match(res.body.message, message, `${method} ${path}`);
  }
  await assert.rejects(describeRun(stack.runs, `payment-${orderId}`), /No run/);
  assert.equal(charges(orderId), 0);
});

test('50 concurrent identical requests make one charge, and all 50 callers get the same result', async () => {
  const orderId = `storm-${uid()}`;
  const responses = await Promise.all(
    Array.from({ length: 50 }, () => call('POST', '/v1/payments', { orderId, amount: 7 })),
  );
  assert.ok(responses.every((r) => r.status === 200));
  assert.equal(new Set(responses.map((r) => r.body.runId)).size, 1, 'one run');
  assert.equal(new Set(responses.map((r) => JSON.stringify(r.body.result))).size, 1, 'one result');
  assert.equal(responses.filter((r) => r.body.executed).length, 1, 'exactly one request executed it');
  assert.equal(charges(orderId), 1);
});

test('with Temporal unreachable, run requests get a 503 that says to send them again', async () => {
  const { Client, Connection } = await import('@temporalio/client');
  const { buildApi } = await import('../src/api/server.js');
  const { RunService } = await import('../src/runs/service.js');
  const { freePort } = await import('../src/devserver/free-port.js');
  const dead = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
  const app = buildApi({
    runs: new RunService({
      client: new Client({ connection: dead }),
      taskQueue: stack.taskQueue,
      keys: stack.keys,
      registry: stack.registry,
    }),
    dataDir: stack.dataDir,
    waitMs: 1000,
    logLevel: 'silent',
  });
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/payments',
      payload: { orderId: `dead-${uid()}`, amount: 1 },
    });
    assert.equal(res.statusCode, 503);
    assert.match(res.json().message, /unreachable.*same request again/);
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 503);
  } finally {
    await app.close();
  }
});
