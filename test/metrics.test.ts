// What operators scrape, on the real server: the API counts each request once by what became of it, the
// workflows count each run once by outcome (also a run whose worker stopped mid-script), running batches
// have gauges that go when they end, computed at most once per interval however often /metrics is scraped,
// and one scrape target carries the SDK's own worker series too.
// Tests share the server and the process's counters, so each reads them before and after.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { NativeConnection } from '@temporalio/worker';
import { BATCH_GAUGES_INTERVAL_MS, MAX_BATCH_GAUGES } from '../src/api/batch-gauges.js';
import { buildApi } from '../src/api/server.js';
import { connectWorker, temporalTarget } from '../src/config/temporal-connection.js';
import { openKeyStore } from '../src/keystore/open.js';
import { serveMetrics } from '../src/metrics/metrics-server.js';
import type { BatchesQuery } from '../src/shared/schemas/batches.js';
import { paymentSpec } from '../src/runs/requests.js';
import { RunService } from '../src/runs/service.js';
import { sdkMetricsUrl, startStack, type Stack } from './support/harness.js';
import { FIXTURE_REGISTRY, ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';
import { apiClient, untilEnded } from './support/http.js';
import { scrape, total, type Sample } from './support/prometheus.js';
import { awaitOutcome } from '../src/runs/outcome.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';

let stack: Stack;
/** The worker's own /metrics, as `superscript worker --metrics-port` serves it. */
let workerMetrics: { url: string; close: () => Promise<void> };
let stopWorker: () => Promise<void>;
/**
 * Keeps the process's SDK Runtime, and so its counters, alive while this file's workers come and go: the
 * SDK shuts the Runtime down when its last connection closes. (A worker process keeps its one worker.)
 */
let keepRuntime: NativeConnection;
/** The clock the API's batch gauges go by: a scrape computes them afresh only once the test moves it. */
let clock = 0;
before(async () => {
  stack = await startStack({ api: { batchGauges: { now: () => clock } }, worker: false });
  keepRuntime = await connectWorker(temporalTarget(stack.address));
  stopWorker = await stack.addWorker();
  workerMetrics = await serveMetrics('127.0.0.1', 0, sdkMetricsUrl);
});
after(async () => {
  await workerMetrics.close();
  await stack.stop();
  await keepRuntime.close();
});

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const tagOf = () => `t${uid()}`.toLowerCase();
const apiMetrics = () => scrape(`${stack.api!.url}/metrics`);
/** A scrape after the batch gauges' interval has passed: it computes them afresh. */
const freshApiMetrics = () => {
  clock += BATCH_GAUGES_INTERVAL_MS;
  return apiMetrics();
};
const worker = () => scrape(workerMetrics.url);

const call = apiClient(() => stack.api!.url);

const startRun = (key: string, script: string, args: unknown, query = '') =>
  call('POST', `/v1/runs${query}`, { script, args }, { 'idempotency-key': key });

/** How far each counter moved between two scrapes. */
function moved(before: Sample[], after: Sample[], name: string, labels: Record<string, string>): number {
  return total(after, name, labels) - total(before, name, labels);
}

/** Waits until the worker's counters have reached `expected` (a workflow counts as it completes). */
async function workerMoved(
  before: Sample[],
  expected: [name: string, labels: Record<string, string>, by: number][],
): Promise<Sample[]> {
  return eventually(
    'the workflows to count their runs',
    async () => {
      const now = await worker();
      return expected.every(([name, labels, by]) => moved(before, now, name, labels) >= by) ? now : undefined;
    },
    10_000,
  );
}

test('each request is counted once by what became of it, and each run once by outcome', async () => {
  const [api0, worker0] = await Promise.all([apiMetrics(), worker()]);
  const orderId = `m${uid()}`;
  const paid = await call('POST', '/v1/payments', { orderId, amount: 10 });
  assert.equal(paid.body.executed, true);
  const again = await call('POST', '/v1/payments', { orderId, amount: 10 });
  assert.equal(again.body.replayed, true);
  assert.equal((await call('POST', '/v1/payments', { orderId, amount: 11 })).status, 422);
  assert.equal((await call('POST', '/v1/payments', { orderId, amount: 'ten' })).status, 400);
  assert.equal((await startRun(`m-${uid()}`, 'no-such-script', {})).status, 400);
  const failing = await startRun(`fail-${uid()}`, 'exit-with', { code: 3 });
  assert.equal(failing.body.status, 'failed');
  const tag = tagOf();
  const first = startRun(`attach-${tag}`, 'sleeper', { seconds: 2, tag });
  await eventually(
    'the sleeper to start',
    () => (stack.executions(tag).length > 0 ? true : undefined),
    10_000,
  );
  const attached = await startRun(`attach-${tag}`, 'sleeper', { seconds: 2, tag });
  assert.equal(attached.body.executed, false);
  assert.equal(attached.body.replayed, false);
  assert.equal((await first).body.status, 'succeeded');

  const api1 = await apiMetrics();
  const requests = (script: string, disposition: string) =>
    moved(api0, api1, 'superscript_requests_total', { script, disposition });
  assert.deepEqual(
    {
      paymentExecuted: requests('collect-payment', 'executed'),
      paymentReplayed: requests('collect-payment', 'replayed'),
      paymentConflict: requests('collect-payment', 'conflict'),
      paymentRejected: requests('collect-payment', 'rejected'),
      unknownRejected: requests('(unknown)', 'rejected'),
      failingExecuted: requests('exit-with', 'executed'),
      sleeperExecuted: requests('sleeper', 'executed'),
      sleeperAttached: requests('sleeper', 'attached'),
      all: moved(api0, api1, 'superscript_requests_total', {}),
    },
    {
      paymentExecuted: 1,
      paymentReplayed: 1,
      paymentConflict: 1,
      paymentRejected: 1,
      unknownRejected: 1,
      failingExecuted: 1,
      sleeperExecuted: 1,
      sleeperAttached: 1,
      all: 8,
    },
  );

  const worker1 = await workerMoved(worker0, [
    ['superscript_runs_total', { script: 'collect-payment', outcome: 'succeeded' }, 1],
    ['superscript_runs_total', { script: 'exit-with', outcome: 'failed' }, 1],
    ['superscript_runs_total', { script: 'sleeper', outcome: 'succeeded' }, 1],
  ]);
  const runs = (labels: Record<string, string>) => moved(worker0, worker1, 'superscript_runs_total', labels);
  const timed = (script: string) =>
    moved(worker0, worker1, 'superscript_run_duration_seconds_count', { script });
  assert.deepEqual(
    {
      paymentSucceeded: runs({ script: 'collect-payment', outcome: 'succeeded' }),
      failingFailed: runs({ script: 'exit-with', outcome: 'failed' }),
      sleeperSucceeded: runs({ script: 'sleeper', outcome: 'succeeded' }),
      all: runs({}),
      unknown: moved(worker0, worker1, 'superscript_outcome_unknown_total', {}),
      timedPayment: timed('collect-payment'),
      timedFailing: timed('exit-with'),
      timedSleeper: timed('sleeper'),
    },
    {
      paymentSucceeded: 1,
      failingFailed: 1,
      sleeperSucceeded: 1,
      all: 3,
      unknown: 0,
      timedPayment: 1,
      timedFailing: 1,
      timedSleeper: 1,
    },
  );
  const slept = worker1.find(
    (s) => s.name === 'superscript_run_duration_seconds_bucket' && s.labels.script === 'sleeper',
  );
  assert.ok(slept, 'the duration histogram has buckets per script');
});

test('a run whose worker stops mid-script is counted once, as outcome_unknown, by the workflow', async () => {
  const [api0, worker0] = await Promise.all([apiMetrics(), worker()]);
  const tag = tagOf();
  const key = `unknown-${tag}`;
  const started = await startRun(key, 'sleeper', { seconds: 60, tag }, '?wait=0');
  assert.equal(started.status, 202);
  assert.equal(started.body.executed, true);
  await eventually(
    'the script to run on the worker',
    async () =>
      total(await worker(), 'superscript_runs_in_flight', { script: 'sleeper' }) === 1 ? true : undefined,
    10_000,
  );
  await stopWorker(); // shutdownGraceMs 0: running activities are cancelled at once
  assert.equal(total(await worker(), 'superscript_runs_in_flight', { script: 'sleeper' }), 0);
  stopWorker = await stack.addWorker();
  const view = await awaitOutcome(stack.client, key, undefined, 30_000);
  assert.equal(view.status, 'outcome_unknown');

  const worker1 = await workerMoved(worker0, [
    ['superscript_outcome_unknown_total', { script: 'sleeper' }, 1],
  ]);
  assert.deepEqual(
    {
      unknown: moved(worker0, worker1, 'superscript_outcome_unknown_total', { script: 'sleeper' }),
      unknownRuns: moved(worker0, worker1, 'superscript_runs_total', {
        script: 'sleeper',
        outcome: 'outcome_unknown',
      }),
      allRuns: moved(worker0, worker1, 'superscript_runs_total', {}),
    },
    { unknown: 1, unknownRuns: 1, allRuns: 1 },
  );
  const api1 = await apiMetrics();
  assert.equal(
    moved(api0, api1, 'superscript_requests_total', { script: 'sleeper', disposition: 'executed' }),
    1,
  );
  assert.equal(stack.executions(tag).length, 1);
});

test("the API's /metrics also carries the SDK's worker series, as under superscript dev", async () => {
  const page = await (await fetch(`${stack.api!.url}/metrics`)).text();
  const families = [...page.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(
    families.filter((f, i) => families.indexOf(f) !== i),
    [],
    'each metric family is declared once',
  );
  const samples = await apiMetrics();
  const names = new Set(samples.map((s) => s.name));
  assert.ok(
    [...names].some((n) => n.startsWith('temporal_')),
    `no temporal_ series among ${[...names].join(', ')}`,
  );
  for (const name of [
    'superscript_runs_total',
    'superscript_runs_in_flight',
    'process_cpu_user_seconds_total',
  ]) {
    assert.ok(names.has(name), `${name} on the combined endpoint`);
  }
});

test('a running batch has order gauges; they go when it ends', async () => {
  const slow = `mslow-${uid()}`;
  const quick = `mquick-${uid()}`;
  const delay = process.env.PAYMENT_DELAY_SECONDS;
  // A payment that holds its order until cancelled, so the batch that includes it keeps running.
  process.env.PAYMENT_DELAY_SECONDS = '60';
  try {
    const held = await call('POST', '/v1/payments?wait=0', { orderId: slow, amount: 1 });
    assert.equal(held.status, 202);
    await eventually(
      'the held payment to run',
      async () =>
        total(await worker(), 'superscript_runs_in_flight', { script: 'collect-payment' }) === 1
          ? true
          : undefined,
      10_000,
    );
  } finally {
    process.env.PAYMENT_DELAY_SECONDS = delay;
  }
  const batchId = `mb-${uid()}`;
  const batch = await call('POST', '/v1/batches', {
    batchId,
    orders: [
      { orderId: slow, amount: 1 },
      { orderId: quick, amount: 2 },
    ],
  });
  assert.equal(batch.status, 202);
  const gauges = (samples: Sample[]) =>
    Object.fromEntries(
      samples
        .filter((s) => s.name === 'superscript_batch_orders' && s.labels.batch === batchId)
        .map((s) => [s.labels.state, s.value]),
    );
  const running = await eventually(
    'the quick order done and the held one pending',
    async () => {
      const g = gauges(await freshApiMetrics());
      return g.done === 1 ? g : undefined;
    },
    10_000,
  );
  assert.deepEqual(running, { done: 1, pending: 1 });

  assert.equal((await call('POST', `/v1/runs/payment-${slow}/cancel`)).status, 200);
  const ended = await untilEnded('the batch', () => call('GET', `/v1/batches/${batchId}`), 30_000);
  assert.equal(ended.status, 'succeeded');
  assert.deepEqual(gauges(await apiMetrics()), running, 'within the interval, the last values');
  await eventually(
    'the batch to leave the gauges',
    async () => (Object.keys(gauges(await freshApiMetrics())).length === 0 ? true : undefined),
    10_000,
  );
});

test('/metrics scraped in a loop reads batches from Temporal at most once per interval', async () => {
  /** The API's runs, counting the listings behind the batch gauges (each then reads every batch listed). */
  class CountingRuns extends RunService {
    readonly listings: BatchesQuery[] = [];
    override listBatches(q: BatchesQuery, scripts?: readonly string[]) {
      this.listings.push(q);
      return super.listBatches(q, scripts);
    }
  }
  const { client, taskQueue, keys, registry } = stack;
  const runs = new CountingRuns({ client, taskQueue, keys, registry });
  let now = 0;
  const app = buildApi({
    runs,
    dataDir: stack.dataDir,
    waitMs: 1000,
    logLevel: 'silent',
    batchGauges: { now: () => now },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const scrapes = (n: number) => Promise.all(Array.from({ length: n }, () => scrape(`${url}/metrics`)));
  try {
    await scrapes(10);
    assert.equal(runs.listings.length, 1, 'concurrent scrapes share one computation');
    for (let i = 0; i < 20; i++) await scrapes(1);
    assert.equal(runs.listings.length, 1, 'scrapes within the interval get the last values');
    now += BATCH_GAUGES_INTERVAL_MS - 1;
    await scrapes(3);
    assert.equal(runs.listings.length, 1);
    now += 1;
    await scrapes(5);
    assert.equal(runs.listings.length, 2, 'the next interval computes once more');
    for (const q of runs.listings) assert.deepEqual([q.status, q.limit], ['running', MAX_BATCH_GAUGES]);
  } finally {
    await app.close();
  }
});

test('superscript worker --metrics-port serves its runs and the SDK series; its log lines name each run', async () => {
  const taskQueue = `metrics-cli-${process.pid}-${Date.now()}`;
  // The worker and this test share one key store, as a worker and an API of one installation do.
  const keyStoreUrl = `sqlite:${path.join(stack.dataDir, 'metrics-cli-keys.sqlite')}`;
  const keys = await openKeyStore(keyStoreUrl, `default/${taskQueue}`);
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'superscript.js'), 'worker', '--metrics-port', '0'],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stack.address,
        SUPERSCRIPT_TASK_QUEUE: taskQueue,
        SUPERSCRIPT_CONFIG: FIXTURE_REGISTRY,
        SUPERSCRIPT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'superscript-metrics-')),
        SUPERSCRIPT_KEY_STORE_URL: keyStoreUrl,
        SUPERSCRIPT_LOG_LEVEL: 'info',
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    // Port 0: the worker binds a free port and names it, so no other test can take it in between.
    const url = await eventually(
      'the worker to serve metrics',
      () => /"url":"([^"]+)"[^\n]*"msg":"metrics served"/.exec(stderr)?.[1],
      30_000,
    );
    const runs = { client: stack.client, taskQueue, keys };
    const orderId = `mcli-${uid()}`;
    const paid = await startOrAttach(
      runs,
      paymentSpec(stack.registry, taskQueue, { orderId, amount: 3 }),
      30_000,
    );
    assert.equal(paid.run.status, 'succeeded');
    const samples = await eventually(
      'the worker to count the run',
      async () => {
        const s = await scrape(url);
        return total(s, 'superscript_runs_total', { script: 'collect-payment' }) > 0 ? s : undefined;
      },
      10_000,
    );
    assert.equal(
      total(samples, 'superscript_runs_total', { script: 'collect-payment', outcome: 'succeeded' }),
      1,
    );
    assert.equal(total(samples, 'superscript_runs_in_flight', { script: 'collect-payment' }), 0);
    // The alerting count exists from the start, at 0, so the first outcome_unknown is an increase.
    const unknown = samples.filter(
      (s) => s.name === 'superscript_outcome_unknown_total' && s.labels.script === 'collect-payment',
    );
    assert.deepEqual(unknown.map((s) => [s.labels.workflowType, s.value]).sort(), [
      ['ScriptRunWorkflow', 0],
      ['SinglePaymentCollectionWorkflow', 0],
    ]);
    assert.ok(
      samples.some((s) => s.name.startsWith('temporal_')),
      'the SDK series are appended',
    );

    const lines = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'script started' || l.msg === 'script ended');
    assert.equal(lines.length, 2, stderr);
    for (const line of lines) {
      assert.equal(line.workflowId, `payment-${orderId}`);
      assert.equal(line.runId, paid.run.runId);
      assert.equal(line.script, 'collect-payment');
      assert.equal(line.key, `payment-${orderId}`);
    }
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    await keys.close();
  }
});
