// Bulk decisions on a real server: a batch whose orders succeed, are declined, or end with their outcome
// unknown (their worker stopped mid-script, after the charge or before it); its failed orders retried in
// bulk (once each, however often asked) and its unknown ones resolved by verify (an order verify cannot
// tell about stays unknown and is never retried in bulk), over HTTP and the CLI, with the ledger showing no
// order charged twice; a token without `retry` starts nothing, and a key another script has taken since
// is left alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createToken } from '../src/config/tokens.js';
import { runCli } from './support/cli.js';
import { chargesByOrder } from './support/data-folder.js';
import { startStack, type Stack } from './support/harness.js';
import { httpJson, untilEnded } from './support/http.js';
import { FIXTURES } from './support/paths.js';
import { eventually } from './support/poll.js';
import { processTable } from './support/processes.js';

const tokensFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'superscript-bulk-')), 'tokens.json');
const admin = createToken(tokensFile, 'bulk-admin', ['admin']);
const reader = createToken(tokensFile, 'payer', ['read', 'run:collect-payment', 'cancel']);

let stack: Stack;
let stopWorker: () => Promise<void>;
before(async () => {
  stack = await startStack({
    api: { tokensFile },
    worker: false,
    registryFile: path.join(FIXTURES, 'bulk', 'registry.json'),
    batchShape: { partSize: 3, continueAsNewAfter: 1 },
  });
  stopWorker = await stack.addWorker();
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const call = (method: string, url: string, body?: unknown, token = admin) =>
  httpJson(stack.api!.url, method, url, body, { authorization: `Bearer ${token}` });
const mark = (file: string) => writeFileSync(path.join(stack.dataDir, file), '');
const keyState = async (orderId: string) => (await stack.keys.get(`payment-${orderId}`))?.state;

const ended = (what: string, url: string) => untilEnded(what, () => call('GET', url), 120_000);
const batchEnded = (batchId: string) => ended(`batch ${batchId}`, `/v1/batches/${batchId}`);
const decided = (batchId: string, action: string) =>
  ended(`the ${action} of batch ${batchId}`, `/v1/batches/${batchId}/decisions/${action}`);

test('bulk retry reruns the failed orders once each; bulk resolve verifies the unknown ones', async () => {
  const tag = uid();
  const o = {
    ok: `${tag}-ok`,
    declined1: `${tag}-declined1`,
    declined2: `${tag}-declined2`,
    charged: `${tag}-charged`,
    uncharged: `${tag}-uncharged`,
    unsure: `${tag}-unsure`,
  };
  mark(`decline-${o.declined1}`);
  mark(`decline-${o.declined2}`);
  mark(`hold-${o.charged}`);
  mark(`hold-${o.unsure}`);
  mark(`hold-first-${o.uncharged}`);
  const batchId = `bulk-${tag}`;
  const orders = Object.values(o).map((orderId) => ({ orderId, amount: 7 }));
  const started = await call('POST', '/v1/batches', { batchId, orders, maxConcurrent: 10 });
  assert.equal(started.status, 202, JSON.stringify(started.body));

  // While the batch runs, a decision is refused: its orders are not all reported yet.
  const early = await call('POST', `/v1/batches/${batchId}/decisions/retry`);
  assert.equal(early.status, 409);
  assert.match(early.body.message, /still running/);

  // The held orders are mid-script (two charged, one not yet); the others have ended. Then their worker stops.
  await eventually(
    'the held orders to be mid-script and the others to end',
    async () => {
      const charges = chargesByOrder(stack.dataDir);
      const holding = processTable().some(
        (p) => p.argv.some((a) => a.endsWith('bulk-payment.sh')) && p.argv.includes(o.uncharged),
      );
      const ended = await Promise.all([o.ok, o.declined1, o.declined2].map(keyState));
      return charges.get(o.charged) === 1 &&
        charges.get(o.unsure) === 1 &&
        holding &&
        ended.every((s) => s === 'succeeded' || s === 'failed')
        ? true
        : undefined;
    },
    60_000,
  );
  // Its replacement first: the batch's activities waiting on the held runs end once another worker ends them.
  const replacement = await stack.addWorker();
  await stopWorker();
  stopWorker = replacement;
  const batch = await batchEnded(batchId);
  assert.deepEqual(
    [batch.progress.succeeded, batch.progress.failed, batch.progress.unknown],
    [1, 2, 3],
    JSON.stringify(batch.progress),
  );

  // A token without `retry` is refused, and nothing starts.
  const refused = await call('POST', `/v1/batches/${batchId}/decisions/retry`, undefined, reader);
  assert.equal(refused.status, 403);
  assert.equal((await call('GET', `/v1/batches/${batchId}/decisions/retry`)).status, 404);

  // The provider accepts the declined orders now. Asked twice at once: one decision, each order once.
  rmSync(path.join(stack.dataDir, `decline-${o.declined1}`));
  rmSync(path.join(stack.dataDir, `decline-${o.declined2}`));
  const asked = await Promise.all([1, 2].map(() => call('POST', `/v1/batches/${batchId}/decisions/retry`)));
  assert.deepEqual(
    asked.map((a) => a.status),
    [200, 200],
  );
  assert.equal(asked.filter((a) => a.body.started).length, 1, 'one request started it');
  assert.equal(asked[0]!.body.workflowId, `batch-${batchId}:retry`);
  const retried = await decided(batchId, 'retry');
  assert.equal(retried.status, 'succeeded');
  assert.equal(retried.by, 'bulk-admin');
  assert.deepEqual(retried.progress, {
    looked: 6,
    eligible: 2,
    done: 2,
    skipped: 0,
    failed: 0,
    succeeded: 2,
    stillFailed: 0,
    stillUnknown: 0,
  });
  for (const id of [o.declined1, o.declined2]) {
    assert.equal(await keyState(id), 'succeeded');
    const report = await stack.runs.keyReport(`payment-${id}`);
    const granted = report.events.filter((e) => e.kind === 'granted');
    assert.deepEqual(
      granted.map((e) => [e.by, e.detail]),
      [['bulk-admin', `retry: bulk retry of batch ${batchId}`]],
    );
  }
  for (const id of [o.charged, o.uncharged, o.unsure])
    assert.equal(await keyState(id), 'outcome_unknown', 'unknowns are never retried in bulk');

  // Resolved through the CLI: verify says done, not done, cannot tell.
  const cli = (...args: string[]) => runCli(args, { ...stack.env, SUPERSCRIPT_TOKEN: admin });
  const resolved = await cli('batch-resolve', batchId);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.match(
    resolved.stdout,
    /resolve \(by bulk-admin\) {2}succeeded {2}eligible 3, done 3: succeeded 1, still failed 1, still unknown 1, skipped 0, failed 0 \(started by this command\)/,
  );
  assert.equal(await keyState(o.charged), 'succeeded');
  assert.equal(await keyState(o.uncharged), 'failed');
  assert.equal(await keyState(o.unsure), 'outcome_unknown', 'verify could not tell: it stays unknown');

  // Asking again attaches to the decisions made: nothing runs again, so the order verify found not
  // charged is not charged by a bulk retry that was already done.
  const again = await cli('batch-retry', batchId);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /eligible 2, done 2: succeeded 2.*\(asked for before: attached/);
  const twice = await call('POST', `/v1/batches/${batchId}/decisions/resolve`);
  assert.equal(twice.body.started, false);
  assert.equal(twice.body.progress.eligible, 3);

  const charges = chargesByOrder(stack.dataDir);
  assert.deepEqual(
    Object.values(o).map((id) => charges.get(id) ?? 0),
    [1, 1, 1, 1, 0, 1],
    'the ok, declined (after their retry), charged and unsure orders once each; the uncharged one never',
  );
});

test("a bulk retry leaves alone a batch's key that another script has taken since", async () => {
  // A batch's row fails; pruned, its key is taken by another script's run, which fails too.
  const key = `taken-${uid()}`;
  const batchId = `bulk-${key}`;
  const rows = [{ key, args: { code: 3 } }];
  const started = await call('POST', '/v1/batches', { batchId, script: 'exit-with', rows });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const batch = await batchEnded(batchId);
  assert.equal(batch.progress.failed, 1, JSON.stringify(batch.progress));
  const pruned = await call('POST', '/v1/keys/prune', { before: new Date().toISOString() });
  assert.equal(pruned.status, 200, JSON.stringify(pruned.body));
  assert.equal(await stack.keys.get(key), undefined);
  const taken = await call('POST', '/v1/runs', { script: 'exit-again', args: { code: 4 }, key });
  assert.equal(taken.status, 200, JSON.stringify(taken.body));
  const held = await eventually(
    'the other script to fail the key',
    async () => {
      const record = await stack.keys.get(key);
      return record?.state === 'failed' ? record : undefined;
    },
    30_000,
  );
  assert.equal(held.script, 'exit-again');

  // The batch still reports its row failed, but the key is not its script's now: nothing is retried.
  const asked = await call('POST', `/v1/batches/${batchId}/decisions/retry`);
  assert.equal(asked.status, 200, JSON.stringify(asked.body));
  const retried = await decided(batchId, 'retry');
  assert.equal(retried.status, 'succeeded');
  assert.deepEqual([retried.progress.looked, retried.progress.eligible, retried.progress.done], [1, 0, 0]);
  const now = await stack.keys.get(key);
  assert.deepEqual(
    [now?.script, now?.state, now?.runId, now?.attempts],
    ['exit-again', 'failed', held.runId, 1],
  );
  const report = await stack.runs.keyReport(key);
  assert.deepEqual(
    report.events.filter((e) => e.kind === 'granted'),
    [],
    'no retry was granted',
  );
});

test('a decision on no such batch is 404; an unknown action is 400', async () => {
  assert.equal((await call('POST', `/v1/batches/none-${uid()}/decisions/retry`)).status, 404);
  assert.equal((await call('POST', `/v1/batches/none-${uid()}/decisions/refund`)).status, 400);
});
