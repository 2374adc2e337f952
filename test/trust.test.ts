// The trust boundary on a real Temporal server: a worker runs what its own registry allows, for the run the
// server names, however a workflow was started; output is capped as stored and never logged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { InvalidRequestError } from '../src/errors.js';
import { openKeyStore } from '../src/keystore/open.js';
import { scriptRunSpec } from '../src/runs/requests.js';
import { RunFailureTypes, type RunPolicy, type ScriptRunInput } from '../src/shared/runs.js';
import { WorkflowTypes } from '../src/shared/workflow-types.js';
import type { RunResult } from '../src/shared/schemas/runs.js';
import { awaitOutcome } from '../src/runs/outcome.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';
import { startStack, uid, type Stack } from './support/harness.js';
import { FIXTURE_REGISTRY, ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack.stop());

/** Starts a ScriptRunWorkflow as anyone with access to Temporal could: by hand, with any input. */
async function startByHand(workflowId: string, input: ScriptRunInput) {
  const handle = await stack.client.workflow.start(WorkflowTypes.script, {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [input],
  });
  return awaitOutcome(stack.client, workflowId, handle.firstExecutionRunId, Infinity);
}

function tellInput(tag: string, seconds: number, code: number, policy: RunPolicy, key = `tell-${tag}`) {
  return { script: 'tell', args: { tag, seconds, code }, key, policy };
}

/** The failure a run ended with, as the Temporal client reports it. */
async function failureOf(workflowId: string): Promise<ApplicationFailure> {
  const err = await stack.client.workflow
    .getHandle(workflowId)
    .result()
    .then(
      () => assert.fail(`${workflowId} succeeded`),
      (e: unknown) => e,
    );
  assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, String(err));
  return err.cause;
}

test('a hand-started run cannot raise the attempts: a failing script not safe to retry runs once', async () => {
  const tag = `loose-${uid()}`;
  const run = await startByHand(
    `tell-${tag}`,
    tellInput(tag, 0, 3, { maximumAttempts: 5, initialRetryIntervalMs: 100 }),
  );
  assert.equal(run.status, 'failed');
  assert.equal((run.result as RunResult).exitCode, 3);
  assert.equal((run.result as RunResult).attempt, 1);
  assert.deepEqual(stack.executions(tag), ['1'], 'the script ran exactly once');
});

test('an attempt beyond the registry is refused: a timed-out attempt is not rerun, the run is outcome_unknown', async () => {
  const tag = `lost-${uid()}`;
  // The input's 1 s start-to-close timeout makes Temporal give up on attempt 1 while its script still runs;
  // the input's policy would then try 4 more times.
  const run = await startByHand(
    `tell-${tag}`,
    tellInput(tag, 5, 0, {
      maximumAttempts: 5,
      startToCloseTimeoutMs: 1000,
      heartbeatTimeoutMs: 1000,
      initialRetryIntervalMs: 100,
    }),
  );
  assert.equal(run.status, 'outcome_unknown');
  // Whichever comes first ends the key: attempt 2 refused, or attempt 1 cut off once the server let it go.
  assert.match(
    run.message ?? '',
    /Attempt 2 of tell refused: the worker's registry allows 1|tell was ended midway because its worker stopped/,
  );
  assert.deepEqual(stack.executions(tag), ['1'], 'attempt 2 never started the script');
});

test('a payment workflow started by hand under another order ID charges nothing', async () => {
  const [a, b] = [`hand-a-${uid()}`, `hand-b-${uid()}`];
  await stack.client.workflow.start(WorkflowTypes.payment, {
    taskQueue: stack.taskQueue,
    workflowId: `payment-${a}`,
    args: [{ orderId: b, amount: 5 }],
  });
  const failure = await failureOf(`payment-${a}`);
  assert.equal(failure.type, RunFailureTypes.refused);
  assert.match(failure.message, new RegExp(`runs only as workflow "payment-${b}"\\. Nothing ran`));
  assert.deepEqual(
    stack.ledger().filter((line) => line.includes(a) || line.includes(b)),
    [],
    'no order was charged',
  );
});

test("a templated script runs only under its template's key, and a key only as its own workflow ID", async () => {
  const tag = `tmpl-${uid()}`;
  const policy = { maximumAttempts: 1 };
  await startByHand(`other-${tag}`, tellInput(tag, 0, 0, policy, `other-${tag}`));
  assert.match(
    (await failureOf(`other-${tag}`)).message,
    new RegExp(`in workflow "other-${tag}": this request runs only as workflow "tell-${tag}"`),
  );
  await startByHand(`tell-${tag}`, tellInput(tag, 0, 0, policy, 'some-other-key'));
  const failure = await failureOf(`tell-${tag}`);
  assert.equal(failure.type, RunFailureTypes.refused);
  assert.match(failure.message, new RegExp(`key "some-other-key" is not its workflow ID "tell-${tag}"`));
  assert.deepEqual(stack.executions(tag), [], 'nothing ran');
  // A request with another key is refused before anything starts.
  assert.throws(
    () =>
      scriptRunSpec(stack.registry, stack.taskQueue, {
        script: 'tell',
        args: { tag, seconds: 0, code: 0 },
        key: 'mine',
      }),
    (e: Error) =>
      e instanceof InvalidRequestError && e.field === 'key' && /leave the key out/.test(e.message),
  );
});

test('exec runs its command only for its own run', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-trust-exec-'));
  const ran = path.join(dir, 'ran');
  const key = `exec-own-${uid()}`;
  const argv = ['bash', '-c', `echo run >>${ran}; while [ ! -e ${ran}.release ]; do sleep 0.1; done`];
  const exec = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'exec', '--key', key, '--', ...argv],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SUPERSCRIPT_TASK_QUEUE: `trust-exec-${uid()}`,
        SUPERSCRIPT_CONFIG: FIXTURE_REGISTRY,
        SUPERSCRIPT_KEY_STORE_URL: `sqlite:${path.join(dir, 'keys.sqlite')}`,
        SUPERSCRIPT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  exec.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => exec.once('exit', resolve));
  try {
    await eventually('the command to start', () => (existsSync(ran) ? true : undefined), 60_000);
    // The private task queue its activity was scheduled on: where a hand-started run would send its own.
    const history = await stack.client.workflow.getHandle(key).fetchHistory();
    const privateQueue = history.events
      ?.map((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name)
      .find(Boolean);
    assert.ok(privateQueue);
    const intruder = `exec-intruder-${uid()}`;
    const run = await startByHand(intruder, {
      script: 'exec',
      args: { name: 'bash', argv: JSON.stringify(argv) },
      key,
      activityTaskQueue: privateQueue,
      policy: { maximumAttempts: 1, scheduleToStartTimeoutMs: 30_000 },
    });
    assert.equal(run.status, 'failed');
    assert.match(
      run.message ?? '',
      new RegExp(`in workflow "${intruder}": this request runs only as workflow "${key}"`),
    );
  } finally {
    writeFileSync(`${ran}.release`, '');
    assert.equal(await exited, 0, stderr);
  }
  assert.deepEqual(readFileSync(ran, 'utf8').split('\n').filter(Boolean), ['run'], 'the command ran once');
});

test("scripts run in a working folder of their own, not the data folder that holds the server's state", async () => {
  const keep = path.join(stack.dataDir, 'temporal.sqlite');
  writeFileSync(keep, 'state');
  const work = path.join(stack.dataDir, 'work', 'wipe-cwd');
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'old'), 'left by an earlier run');
  const { run } = await startOrAttach(
    stack.runs,
    scriptRunSpec(stack.registry, stack.taskQueue, { script: 'wipe-cwd', args: {}, key: `wipe-${uid()}` }),
    Infinity,
  );
  assert.equal(run.status, 'succeeded');
  assert.equal((run.result as RunResult).stdout, `${work}\n`);
  assert.equal(existsSync(path.join(work, 'old')), false, 'the script did wipe its own folder');
  assert.equal(readFileSync(keep, 'utf8'), 'state');
});

test('output is capped as stored: control bytes and invalid UTF-8 at the default cap still succeed and replay', async () => {
  const spec = scriptRunSpec(stack.registry, stack.taskQueue, {
    script: 'garbage',
    args: {},
    key: `garbage-${uid()}`,
  });
  const first = await startOrAttach(stack.runs, spec, Infinity);
  assert.equal(first.executed, true);
  assert.equal(first.run.status, 'succeeded', first.run.message);
  const result = first.run.result as RunResult;
  const cap = stack.registry.get('garbage').maxOutputBytes;
  for (const stream of [result.stdout, result.stderr]) {
    const stored = Buffer.byteLength(JSON.stringify(stream)) - 2;
    assert.ok(stored <= cap && stored > cap - 6, `stored ${stored} bytes of ${cap}`);
  }
  assert.equal(result.stdoutTruncated, true);
  assert.equal(result.stderrTruncated, true);
  assert.equal(result.stdout, '\u0001'.repeat(result.stdout.length));
  assert.equal(result.stderr, '\u0002'.repeat(result.stderr.length));

  const again = await startOrAttach(stack.runs, spec, Infinity);
  assert.equal(again.executed, false);
  assert.equal(again.replayed, true);
  assert.deepEqual(again.run.result, first.run.result);
});

test("a worker stopped mid-script does not log the script's output", { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'superscript-trust-log-'));
  const taskQueue = `trust-log-${uid()}`;
  // The worker and this test's requests share one key store, as a worker and an API of one installation do.
  const keyStoreUrl = `sqlite:${path.join(dataDir, 'keys.sqlite')}`;
  const keys = await openKeyStore(keyStoreUrl, `default/${taskQueue}`);
  const runs = { client: stack.client, taskQueue, keys };
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SUPERSCRIPT_TASK_QUEUE: taskQueue,
      SUPERSCRIPT_CONFIG: FIXTURE_REGISTRY,
      SUPERSCRIPT_DATA_DIR: dataDir,
      SUPERSCRIPT_KEY_STORE_URL: keyStoreUrl,
      SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  worker.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
  const spec = (tag: string, seconds: number, code: number) =>
    scriptRunSpec(stack.registry, taskQueue, { script: 'tell', args: { tag, seconds, code } });
  const [failing, stopped] = [`log-fail-${uid()}`, `log-stop-${uid()}`];
  try {
    // A script that fails: its workflow fails with the script's output in the failure's details.
    assert.equal((await startOrAttach(runs, spec(failing, 0, 3), Infinity)).run.status, 'failed');
    await startOrAttach(runs, spec(stopped, 60, 0), 0);
    await eventually(
      'the script to start',
      () => (existsSync(path.join(dataDir, `executions-${stopped}.log`)) ? true : undefined),
      30_000,
    );
    worker.kill('SIGTERM');
    await exited;
  } finally {
    if (!worker.killed) worker.kill('SIGTERM');
    await exited;
    await keys.close();
  }
  // The stopped script's failure reached the server; with its only worker gone, the run itself stays open.
  const history = await stack.client.workflow.getHandle(`tell-${stopped}`).fetchHistory();
  assert.ok(history.events?.some((e) => e.activityTaskFailedEventAttributes));
  await stack.client.workflow.getHandle(`tell-${stopped}`).terminate('test cleanup');
  assert.match(logs, /Activity failed/, 'the failure of the stopped script was logged');
  for (const tag of [failing, stopped]) {
    assert.doesNotMatch(logs, new RegExp(`std(out|err)-of-${tag}`), logs);
  }
});
