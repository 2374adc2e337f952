// Upgrading a data folder made before the key store (test/fixtures/upgrade, by main at 7a4cb72): the first
// start fills the store from Temporal's records, so no key Temporal remembers looks new, and a run that was
// in flight during the upgrade ends as its old workflow code decides, without running its script again.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ensureTemporalCli } from '../src/devserver/temporal-cli.js';
import { WorkflowTypes } from '../src/shared/workflow-types.js';
import { EmbeddedTemporal } from '../src/stack/temporal.js';
import { runCli } from './support/cli.js';
import { startStack, type Stack } from './support/harness.js';
import { FIXTURES } from './support/paths.js';
import { eventually } from './support/poll.js';
import { apiClient } from './support/http.js';

const UPGRADE = path.join(FIXTURES, 'upgrade');
let stack: Stack;
let call: ReturnType<typeof apiClient>;

before(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'superscript-upgrade-'));
  const dbFile = path.join(dataDir, 'temporal.sqlite');
  writeFileSync(dbFile, gunzipSync(readFileSync(path.join(UPGRADE, 'temporal.sqlite.gz'))));
  for (const file of ['ledger.log', 'executions-upgrade.log'])
    copyFileSync(path.join(UPGRADE, file), path.join(dataDir, file));
  const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
  // The old installation's own server, on its data folder's state; its task queue; no key store yet.
  const temporal = await EmbeddedTemporal.start({ cliPath, dbFile, durability: 'full' });
  stack = await startStack({ api: true, existing: { temporal, taskQueue: 'superscript', dataDir } });
  call = apiClient(() => stack.api!.url);
});
after(async () => {
  await stack.stop();
});

const charges = (orderId: string) => stack.ledger().filter((l) => l.split(' ')[1] === orderId).length;

test('the first start fills the key store from Temporal: every key it remembers is known', async () => {
  const paid = await stack.keys.get('payment-U1');
  assert.equal(paid?.state, 'succeeded');
  assert.equal(paid?.origin, 'backfill');
  assert.equal(paid?.request, '{"args":{"amount":12.5,"orderId":"U1"},"script":"collect-payment"}');
  assert.match(paid?.result?.stdout ?? '', /charged order U1: 12.5/);
  assert.equal((await stack.keys.get('upgrade-failed'))?.state, 'failed');
  assert.equal((await stack.keys.get('upgrade-inflight'))?.origin, 'backfill');
  const shown = await runCli(['keys', 'show', 'payment-U1'], stack.env);
  assert.match(shown.stdout, /backfilled .*filled from Temporal/);
});

test('a key paid before the upgrade is replayed, refused for another amount, and never charged again', async () => {
  const again = await call('POST', '/v1/payments', { orderId: 'U1', amount: 12.5 });
  assert.equal(again.status, 200);
  assert.equal(again.body.replayed, true);
  assert.equal((await call('POST', '/v1/payments', { orderId: 'U1', amount: 999 })).status, 422);
  // Started by hand, as the example did: refused where the script runs.
  const handle = await stack.client.workflow.start(WorkflowTypes.payment, {
    taskQueue: stack.taskQueue,
    workflowId: 'payment-U1',
    args: [{ orderId: 'U1', amount: 999 }],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  const refused = await handle.result().then(
    () => undefined,
    (err: unknown) => (err instanceof WorkflowFailedError ? err.cause : err),
  );
  assert.ok(refused instanceof ApplicationFailure);
  assert.equal(refused.type, 'RunRefused');
  assert.equal(charges('U1'), 1);
});

test('a run in flight during the upgrade ends outcome_unknown under its old code, and is not rerun', async () => {
  const view = await eventually(
    'the open run to be decided by the new worker',
    async () => {
      const v = await call('GET', '/v1/runs/upgrade-inflight');
      return v.body.status === 'running' ? undefined : v.body;
    },
    30_000,
  );
  assert.equal(view.status, 'outcome_unknown');
  assert.equal((await stack.keys.get('upgrade-inflight'))?.state, 'outcome_unknown');
  // It started its script once, before the upgrade; nothing since.
  assert.equal(
    readFileSync(path.join(stack.dataDir, 'executions-upgrade.log'), 'utf8').trim().split('\n').length,
    1,
  );
});

test('a key that failed before the upgrade runs again only on an explicit retry, once', async () => {
  assert.equal(
    (await call('POST', '/v1/runs', { script: 'exit-with', args: { code: 3 }, key: 'upgrade-failed' })).body
      .replayed,
    true,
  );
  const retried = await call('POST', '/v1/runs/upgrade-failed/retry', { reason: 'after the upgrade' });
  assert.equal(retried.status, 200);
  assert.equal(retried.body.executed, true);
  assert.equal(retried.body.result.exitCode, 3);
});
