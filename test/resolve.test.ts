// Resolving unknown outcomes on the real server: payment runs whose worker stopped mid-script (before or
// after the charge), resolved by the payment's verify command over HTTP and the CLI, and retries that
// verify first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli } from './support/cli.js';
import { apiClient } from './support/http.js';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { awaitOutcome } from '../src/runs/outcome.js';
import { startStack, type Stack } from './support/harness.js';
import { eventually } from './support/poll.js';
import { processTable } from './support/processes.js';

// Who asked, as the API records it: the token's name, here the open loopback API's.
const OPEN = 'local (open API)';

let stack: Stack;
let stopWorker: () => Promise<void>;
before(async () => {
  stack = await startStack({ api: true, worker: false });
  stopWorker = await stack.addWorker();
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

const call = apiClient(() => stack.api!.url);

const charges = (orderId: string) => stack.ledger().filter((l) => l.includes(` ${orderId} `)).length;

/** Whether the payment script for this order is running right now. */
function paymentScriptRunning(orderId: string): boolean {
  return processTable().some(
    (p) => p.argv.some((a) => a.endsWith('collect-payment.sh')) && p.argv.includes(orderId),
  );
}

/** Stops the worker with scripts running (they are ended at once) and starts another in its place. */
async function replaceWorker(): Promise<void> {
  await stopWorker();
  stopWorker = await stack.addWorker();
}

/**
 * A payment whose worker stopped mid-script: after the charge (the script waits for a confirmation) or
 * before it (the script is still in its delay). Either way the run ends outcome_unknown. Returns its run ID.
 */
async function unknownPayment(orderId: string, charged: boolean): Promise<string> {
  const knob = charged ? 'PAYMENT_CONFIRM_SECONDS' : 'PAYMENT_DELAY_SECONDS';
  const saved = process.env[knob];
  process.env[knob] = '60';
  try {
    const started = await call('POST', '/v1/payments?wait=0', { orderId, amount: 5 });
    assert.equal(started.status, 202);
    await eventually(
      charged ? 'the charge' : 'the script to start',
      () => (charged ? charges(orderId) === 1 : paymentScriptRunning(orderId)) || undefined,
      30_000,
    );
  } finally {
    if (saved === undefined) delete process.env[knob];
    else process.env[knob] = saved;
  }
  await replaceWorker();
  const view = await awaitOutcome(stack.client, `payment-${orderId}`, undefined, 60_000);
  assert.equal(view.status, 'outcome_unknown');
  assert.equal(charges(orderId), charged ? 1 : 0);
  return view.runId;
}

/** The input a run was started with, from its history. */
async function inputOf(workflowId: string, runId: string) {
  const history = await stack.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString());
}

test('an unknown payment that had charged resolves to succeeded, verified; duplicates replay it', async () => {
  const orderId = `charged-${uid()}`;
  const key = `payment-${orderId}`;
  const unknownRunId = await unknownPayment(orderId, true);

  // A double click: the second either joins the first's resolve run or finds it still running.
  const clicks = await Promise.all([1, 2].map(() => call('POST', `/v1/runs/${key}/resolve`, {})));
  assert.ok(clicks.every((c) => c.status === 200 || /still running/.test(c.body.message)));
  const resolved = clicks.find((c) => c.status === 200)!;
  assert.ok(clicks.every((c) => c.status !== 200 || c.body.runId === resolved.body.runId));
  assert.equal(resolved.body.status, 'succeeded');
  assert.notEqual(resolved.body.runId, unknownRunId);
  const result = resolved.body.result as RunResult;
  const { at, ...verified } = result.verified!;
  assert.deepEqual(verified, { runId: unknownRunId, by: OPEN, exitCode: 0, answer: 'done' });
  assert.ok(!Number.isNaN(Date.parse(at)));
  assert.match(result.stdout, new RegExp(`order ${orderId} was charged`));
  const { grant, ...resolve } = (await inputOf(key, resolved.body.runId)).resolve;
  assert.deepEqual(resolve, { runId: unknownRunId, by: OPEN });
  assert.match(grant, /^[0-9a-f-]{36}$/, "the key store's resolve grant, which only this run could use");

  const duplicate = await call('POST', '/v1/payments', { orderId, amount: 5 });
  assert.equal(duplicate.status, 200);
  assert.equal(duplicate.body.status, 'succeeded');
  assert.equal(duplicate.body.replayed, true);
  assert.equal(duplicate.body.executed, false);
  assert.deepEqual(duplicate.body.result, result);
  const other = await call('POST', '/v1/payments', { orderId, amount: 6 });
  assert.equal(other.status, 422, 'the resolve run carries the payment request, so conflicts still show');
  const view = await call('GET', `/v1/runs/${key}`);
  assert.equal(view.body.status, 'succeeded');
  assert.equal(view.body.result.verified.runId, unknownRunId);
  const retry = await call('POST', `/v1/runs/${key}/retry`, {});
  assert.equal(retry.status, 409);
  assert.equal(charges(orderId), 1, 'charged once, by the run whose outcome was unknown');
});

test('an unknown payment that had not charged resolves to failed; then a retry charges it once', async () => {
  const orderId = `uncharged-${uid()}`;
  const key = `payment-${orderId}`;
  const unknownRunId = await unknownPayment(orderId, false);

  const resolved = await call('POST', `/v1/runs/${key}/resolve`, {});
  assert.equal(resolved.status, 200);
  assert.equal(resolved.body.status, 'failed');
  assert.match(resolved.body.message, /Verify found the work of run .* not done/);
  const result = resolved.body.result as RunResult;
  assert.equal(result.verified?.runId, unknownRunId);
  assert.equal(result.verified?.answer, 'not_done');
  assert.equal(result.verified?.exitCode, 1);
  assert.match(result.verified?.by ?? '', /^local \(open API\)$/);
  assert.equal(charges(orderId), 0);
  const again = await call('POST', `/v1/runs/${key}/resolve`, {});
  assert.equal(again.status, 409);
  assert.match(again.body.message, /ended with outcome failed; only a run whose outcome is unknown/);

  const retry = await call('POST', `/v1/runs/${key}/retry`, {});
  assert.equal(retry.status, 200);
  assert.equal(retry.body.executed, true);
  assert.equal(retry.body.status, 'succeeded');
  assert.equal((retry.body.result as RunResult).verified, undefined, 'the retry ran the script itself');
  assert.equal((await inputOf(key, retry.body.runId)).retryOf.runId, resolved.body.runId);
  assert.equal(charges(orderId), 1);
});

test('a retry of an unknown run that verify finds done is refused; nothing is charged again', async () => {
  const orderId = `retry-done-${uid()}`;
  const key = `payment-${orderId}`;
  const unknownRunId = await unknownPayment(orderId, true);
  const retry = await call('POST', `/v1/runs/${key}/retry`, {});
  assert.equal(retry.status, 409);
  assert.match(retry.body.message, /Verify found that run .* did its work: the key now answers succeeded/);
  const view = await call('GET', `/v1/runs/${key}`);
  assert.equal(view.body.status, 'succeeded');
  assert.deepEqual([view.body.result.verified.runId, view.body.result.verified.by], [unknownRunId, OPEN]);
  assert.equal(charges(orderId), 1);
  assert.equal(
    (await stack.client.workflow.count(`WorkflowId = '${key}'`)).count,
    2,
    'the run and its resolve',
  );
});

test('a verify that cannot tell leaves the run unknown; a retry then goes ahead as asked', async () => {
  const tag = `unsure-${uid()}`.toLowerCase();
  const started = await call('POST', '/v1/runs?wait=0', {
    script: 'unsure-sleeper',
    args: { seconds: 60, tag },
    key: tag,
  });
  assert.equal(started.status, 202);
  await eventually(
    'the script to start',
    () => (stack.executions(tag).length > 0 ? true : undefined),
    30_000,
  );
  await replaceWorker();
  const unknown = await awaitOutcome(stack.client, tag, undefined, 60_000);
  assert.equal(unknown.status, 'outcome_unknown');

  const resolved = await call('POST', `/v1/runs/${tag}/resolve`, {});
  assert.equal(resolved.status, 200);
  assert.equal(resolved.body.status, 'outcome_unknown');
  assert.match(resolved.body.message, /Verify could not tell whether run .* did its work/);
  const result = resolved.body.result as RunResult;
  assert.deepEqual([result.verified?.answer, result.verified?.exitCode], ['unknown', 2]);
  assert.match(result.stderr, /cannot reach the provider/);
  assert.equal(stack.executions(tag).length, 1, 'resolving never runs the script');

  const retry = await call('POST', `/v1/runs/${tag}/retry?wait=0`, {});
  assert.equal(retry.status, 202);
  assert.equal(retry.body.executed, true);
  await eventually(
    'the retry to run the script',
    () => (stack.executions(tag).length === 2 ? true : undefined),
    30_000,
  );
  const retried = (await inputOf(tag, retry.body.runId)).retryOf.runId;
  assert.notEqual(retried, resolved.body.runId, 'the retry verified again first');
  assert.equal((await inputOf(tag, retried)).resolve.runId, resolved.body.runId);
  assert.equal((await call('POST', `/v1/runs/${tag}/cancel`)).status, 200);
});

test('resolve is refused for a run that is not unknown, a script without verify, and an unknown ID', async () => {
  const orderId = `ok-${uid()}`;
  await call('POST', '/v1/payments', { orderId, amount: 1 });
  const succeeded = await call('POST', `/v1/runs/payment-${orderId}/resolve`);
  assert.equal(succeeded.status, 409);
  assert.match(succeeded.body.message, /ended with outcome succeeded/);
  const key = `no-verify-${uid()}`;
  await call('POST', '/v1/runs', { script: 'exit-with', args: { code: 2 }, key });
  const noVerify = await call('POST', `/v1/runs/${key}/resolve`, {});
  assert.equal(noVerify.status, 409);
  assert.match(noVerify.body.message, /Script "exit-with" declares no verify command/);
  assert.equal((await call('POST', `/v1/runs/nobody-${uid()}/resolve`, {})).status, 404);
  const bad = await call('POST', `/v1/runs/${key}/resolve`, { reason: 'x' });
  assert.equal(bad.status, 400);
  assert.equal((await stack.client.workflow.count(`WorkflowId = '${key}'`)).count, 1, 'nothing started');
});

test('a hand-started resolve runs nothing: neither the script nor, without a grant, its verify command', async () => {
  const orderId = `hand-${uid()}`;
  await assert.rejects(
    stack.client.workflow.execute('SinglePaymentCollectionWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `payment-${orderId}`,
      args: [{ orderId, amount: 3, resolve: { runId: 'made-up', by: 'someone' } }],
    }),
    // No resolve granted through SuperScript: verify does not even run, and nothing is recorded.
    (err: Error) =>
      /holds no resolve the key store granted.*Verify did not run/.test(String((err.cause as Error).message)),
  );
  assert.equal(charges(orderId), 0);
  assert.equal(await stack.keys.get(`payment-${orderId}`), undefined);
});

test('superscript resolve prints the answer and exits with it', async () => {
  const orderId = `cli-${uid()}`;
  const unknownRunId = await unknownPayment(orderId, true);
  const cli = (...args: string[]) => runCli(args, stack.env);
  const resolved = await cli('resolve', `payment-${orderId}`);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.match(resolved.stdout, new RegExp(`payment-${orderId}  succeeded \\(executed by this request\\)`));
  assert.match(
    resolved.stdout,
    new RegExp(
      `verified: verify answered done \\(exit 0\\) for run ${unknownRunId}, asked by local \\(open API\\)`,
    ),
  );
  const again = await cli('resolve', `payment-${orderId}`);
  assert.equal(again.code, 125);
  assert.match(again.stderr, /only a run whose outcome is unknown can be resolved/);
  assert.equal(charges(orderId), 1);
});
