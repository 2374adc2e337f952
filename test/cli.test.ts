// The `superscript` command line as a person or a cron line uses it: the built binary as a child process,
// against the real server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { freePort } from '../src/devserver/free-port.js';
import { runCli, type Ran } from './support/cli.js';
import { describeRun } from '../src/runs/read.js';
import { startStack, type Stack } from './support/harness.js';
import { ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';
import { alive } from './support/processes.js';

let stack: Stack;
before(async () => {
  // The client commands (pay, run, status, runs, retry, cancel) are clients of this API.
  stack = await startStack({ api: true });
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** Runs the CLI against this file's stack; an env value of '' unsets that variable. */
function cli(args: string[], env: Record<string, string> = {}, cwd = stack.dataDir): Promise<Ran> {
  return runCli(args, { ...stack.env, ...env }, cwd);
}

test('pay charges once, and says so; status shows the run and the dedup window', async () => {
  const orderId = `cli-${uid()}`;
  const first = await cli(['pay', orderId, '9.99']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`payment-${orderId}  succeeded \\(executed by this request\\)`));
  const second = await cli(['pay', orderId, '9.99']);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /already done: stored result replayed, nothing ran/);
  const conflict = await cli(['pay', orderId, '10']);
  assert.equal(conflict.code, 120);
  assert.match(conflict.stderr, /different arguments \(amount\)/);
  const status = await cli(['status', `payment-${orderId}`]);
  assert.equal(status.code, 0);
  assert.match(
    status.stdout,
    /dedup window: the key store remembers this key until removed with `superscript keys prune`; Temporal keeps the run's history \d+(\.\d+)? days/,
  );
  assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);
});

test('bad input exits 125 with a message and starts nothing', async () => {
  const orderId = `clibad-${uid()}`;
  const res = await cli(['pay', orderId, 'ten']);
  assert.equal(res.code, 125);
  assert.match(res.stderr, /Argument "amount" of script "collect-payment" must be a number, not a string/);
  const run = await cli(['run', 'exit-with', 'code=1', '--key', 'has space']);
  assert.equal(run.code, 125);
  assert.match(run.stderr, /idempotency key/);
  const usage = await cli(['pay']);
  assert.equal(usage.code, 125);
  await assert.rejects(describeRun(stack.runs, `payment-${orderId}`), /No run/);
});

test('run exits with the script exit code', async () => {
  const res = await cli(['run', 'exit-with', 'code=4', '--key', `clirun-${uid()}`, '--json']);
  assert.equal(res.code, 4);
  assert.equal(JSON.parse(res.stdout).result.stderr, 'err: exiting with 4\n');
});

test('retry, cancel, status and runs go through the API; a retry records who asked, not a claim', async () => {
  const key = `cliretry-${uid()}`;
  const failed = await cli(['run', 'exit-with', 'code=3', '--key', key, '--json']);
  assert.equal(failed.code, 3, failed.stderr);
  const retried = await cli(['retry', key, '--reason', 'card updated', '--json']);
  assert.equal(retried.code, 3, retried.stderr);
  const run = JSON.parse(retried.stdout);
  assert.equal(run.executed, true);
  const history = await stack.client.workflow.getHandle(key, run.runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString());
  const { grant: _grant, ...retryOf } = input.retryOf;
  assert.deepEqual(retryOf, {
    runId: JSON.parse(failed.stdout).runId,
    by: 'local (open API)',
    reason: 'card updated',
  });
  const ended = await cli(['cancel', key]);
  assert.equal(ended.code, 125);
  assert.match(ended.stderr, /has already ended/);
  const listed = await eventually(
    'the run in the listing',
    async () => {
      const res = await cli(['runs', '--script', 'exit-with', '--json']);
      const runs = JSON.parse(res.stdout) as { workflowId: string }[];
      return runs.some((r) => r.workflowId === key) ? runs : undefined;
    },
    15_000,
  );
  assert.ok(listed.length > 0);
});

test('cancel of a running run, with --wait 0 answering at once', async () => {
  const key = `clicancel-${uid()}`;
  const tag = `c${uid()}`.toLowerCase();
  const started = await cli(['run', 'sleeper', 'seconds=20', `tag=${tag}`, '--key', key, '--wait', '0']);
  assert.equal(started.code, 123, started.stderr);
  assert.match(started.stdout, new RegExp(`${key}  running \\(executed by this request\\)`));
  const cancelled = await cli(['cancel', key]);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, /cancellation requested/);
  const status = await eventually(
    'the run to end cancelled',
    async () => {
      const res = await cli(['status', key]);
      return res.code === 122 ? res : undefined;
    },
    15_000,
  );
  assert.match(status.stdout, new RegExp(`${key}  cancelled`));
});

test('an API that does not answer: exit 125, saying how to start one', async () => {
  const res = await cli(['status', 'anything'], {
    SUPERSCRIPT_API_URL: `http://127.0.0.1:${await freePort()}`,
  });
  assert.equal(res.code, 125);
  assert.match(res.stderr, /Cannot reach the SuperScript API at .*superscript dev.*SUPERSCRIPT_API_URL/);
});

test('exec runs a command once per key and replays its output and exit code', async () => {
  const key = `exec-${uid()}`;
  const file = path.join(stack.dataDir, `${key}.log`);
  const command = ['bash', '-c', `echo ran >> ${file}; echo to-stdout; echo to-stderr >&2; exit 3`];
  // At the default log level the terminal shows the command's output and nothing else.
  const first = await cli(['exec', '--key', key, '--', ...command], { SUPERSCRIPT_LOG_LEVEL: '' });
  assert.equal(first.code, 3, first.stderr);
  assert.equal(first.stdout, 'to-stdout\n');
  assert.equal(first.stderr, 'to-stderr\n');
  const again = await cli(['exec', '--key', key, '--', ...command]);
  assert.equal(again.code, 3);
  assert.equal(again.stdout, 'to-stdout\n');
  assert.match(again.stderr, /^to-stderr\nsuperscript: key .* already ran/);
  assert.equal(readFileSync(file, 'utf8'), 'ran\n');
  const other = await cli(['exec', '--key', key, '--', 'bash', '-c', 'echo something else']);
  assert.equal(other.code, 120);
  assert.match(other.stderr, /already used by a run of different arguments/);
  const retried = await cli(['exec', '--key', key, '--retry', '--', ...command]);
  assert.equal(retried.code, 3, 'an explicit retry of a failed command runs it again');
  assert.equal(readFileSync(file, 'utf8'), 'ran\nran\n');
});

test('an exec killed mid-command: its command is ended, and the next exec of the key reports exit 121', async () => {
  const key = `exec-dies-${uid()}`;
  const pidFile = path.join(stack.dataDir, `${key}.pid`);
  const command = ['bash', '-c', `echo $$ > ${pidFile}; sleep 60`];
  const first = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'superscript.js'),
      'exec',
      '--key',
      key,
      '--heartbeat-timeout',
      '2',
      '--',
      ...command,
    ],
    {
      // '' means unset (as runCli has it): the stack's API settings are not this exec's.
      env: Object.fromEntries(Object.entries({ ...process.env, ...stack.env }).filter(([, v]) => v !== '')),
      stdio: 'ignore',
    },
  );
  const pid = await eventually(
    'the command to start',
    () => {
      try {
        return Number(readFileSync(pidFile, 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
  );
  first.kill('SIGKILL');
  await eventually('the reaper to end the command', () => (alive(pid) ? undefined : true), 10_000);
  const next = await cli(['exec', '--key', key, '--heartbeat-timeout', '2', '--', ...command]);
  assert.equal(next.code, 121, next.stderr);
  assert.match(next.stderr, /outcome is unknown/);
});

test('concurrent exec with one key runs the command once; every caller gets its output', async () => {
  const key = `exec-conc-${uid()}`;
  const file = path.join(stack.dataDir, `${key}.log`);
  const command = ['bash', '-c', `echo ran >> ${file}; sleep 0.5; echo done`];
  const all = await Promise.all([1, 2, 3, 4].map(() => cli(['exec', '--key', key, '--', ...command])));
  for (const r of all) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'done\n');
  }
  assert.equal(readFileSync(file, 'utf8'), 'ran\n');
});

/** A POST as a web page on another site can send it without a CORS preflight: text/plain, any Host. */
function simplePost(port: number, urlPath: string, host: string, body: string) {
  return new Promise<{ status?: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        headers: { Host: host, Origin: 'https://evil.example', 'Content-Type': 'text/plain;charset=UTF-8' },
        // Fails the test instead of hanging it when nothing answers.
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${urlPath}`)));
    req.on('error', reject);
    req.end(body);
  });
}

test('dev starts server, worker and API (starting runs eagerly), prints its URLs, and stops cleanly on Ctrl-C', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'superscript-dev-'));
  const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  // Temporal's HTTP port, named so the test can reach it (the dev server picks a free one otherwise).
  const temporalHttpPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'superscript.js'),
      'dev',
      '--data-dir',
      dataDir,
      '--port',
      `${port}`,
      '--temporal-port',
      `${temporalPort}`,
      '--ui-port',
      `${uiPort}`,
    ],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: '',
        SUPERSCRIPT_LOG_LEVEL: 'info',
        PAYMENT_DELAY_SECONDS: '0',
        SUPERSCRIPT_DEV_SERVER_ARGS: `--http-port ${temporalHttpPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, like a shell's foreground job, so the test can Ctrl-C it.
      detached: true,
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually(
      'dev to be ready',
      () => (out.includes('Press Ctrl-C to stop.') ? true : undefined),
      60_000,
    );
    assert.match(out, new RegExp(`API          http://127.0.0.1:${port}`));
    assert.match(out, new RegExp(`Web UI       http://127.0.0.1:${port}/`));
    assert.match(out, new RegExp(`Temporal UI  http://127.0.0.1:${uiPort}`));
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    assert.equal(ui.status, 200, 'the Temporal Web UI is on');
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200, 'the web UI is served with no extra command');
    assert.match(await page.text(), /<title>SuperScript<\/title>/);
    const pay = () =>
      fetch(`http://127.0.0.1:${port}/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: 'dev-1', amount: 1 }),
      });
    const res = await pay();
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { executed: boolean }).executed, true);
    // API and worker share a process: the run started eagerly, its first task handed straight to the worker.
    const temporal = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    try {
      const history = await new Client({ connection: temporal }).workflow
        .getHandle('payment-dev-1')
        .fetchHistory();
      assert.equal(
        history.events?.[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted,
        true,
      );
    } finally {
      await temporal.close();
    }
    const again = await pay();
    assert.equal(again.status, 200);
    const replay = (await again.json()) as { executed: boolean; replayed: boolean };
    assert.deepEqual([replay.executed, replay.replayed], [false, true], 'a duplicate replays the run');
    assert.equal(
      readFileSync(path.join(dataDir, 'ledger.log'), 'utf8').split('\n').filter(Boolean).length,
      1,
    );
    const run = (await (await fetch(`http://127.0.0.1:${port}/v1/runs/payment-dev-1`)).json()) as {
      runId: string;
      temporalUrl?: string;
    };
    assert.equal(
      run.temporalUrl,
      `http://127.0.0.1:${uiPort}/namespaces/default/workflows/payment-dev-1/${run.runId}/history`,
      'runs link to the Temporal UI of the dev server',
    );

    // Temporal's own HTTP API refuses what a web page can send it, whatever the Host (a page that targets
    // the port directly sends the local one), and so does Nexus on the same port: nothing starts.
    const hosts = ['evil.example', `localhost:${temporalHttpPort}`, `127.0.0.1:${temporalHttpPort}`];
    const attempts = hosts.map((host, i) => ({ host, workflowId: `via-http-${i}-${Date.now()}` }));
    for (const { host, workflowId } of attempts) {
      const start = await simplePost(
        temporalHttpPort,
        `/api/v1/namespaces/default/workflows/${workflowId}`,
        host,
        JSON.stringify({ workflowType: { name: 'ScriptRunWorkflow' }, taskQueue: { name: 'superscript' } }),
      );
      assert.deepEqual([start.status, start.body], [403, '{"code": 7, "message": "Host not allowed"}'], host);
    }
    const nexus = await simplePost(
      temporalHttpPort,
      '/namespaces/default/task-queues/superscript/nexus-services/any/operation',
      `127.0.0.1:${temporalHttpPort}`,
      '{}',
    );
    assert.equal(nexus.status, 404, nexus.body);
    const direct = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    try {
      const workflows = new Client({ connection: direct }).workflow;
      for (const { workflowId } of attempts)
        await assert.rejects(workflows.getHandle(workflowId).describe(), WorkflowNotFoundError, workflowId);
    } finally {
      await direct.close();
    }
    // The Temporal Web UI reads through gRPC, not that HTTP API: its workflow list still answers.
    await eventually(
      'the Temporal Web UI to list the run',
      async () => {
        const list = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/default/workflows`);
        return list.status === 200 && /"workflowId": *"payment-dev-1"/.test(await list.text())
          ? true
          : undefined;
      },
      10_000,
    );
    const serverPid = Number(
      (await import('node:child_process'))
        .execFileSync('pgrep', ['-f', `start-dev.*--port ${temporalPort}`])
        .toString()
        .trim(),
    );
    assert.ok(alive(serverPid));
    // Ctrl-C at a terminal signals the whole foreground process group.
    process.kill(-child.pid!, 'SIGINT');
    assert.equal(await exited, 0);
    assert.match(
      out,
      /"api stopped"[\s\S]*"worker stopped"[\s\S]*"temporal dev server stopped"/,
      'stopped in order',
    );
    assert.equal(alive(serverPid), false, 'the dev server was stopped');
  } finally {
    child.kill('SIGKILL');
  }
});

test('exit codes: the script own code, 128+n for a signal, 120 and up for SuperScript conditions', async () => {
  const { exitCodeFor, EXIT } = await import('../src/cli/exit-codes.js');
  const run = (status: string, result?: object) =>
    exitCodeFor({ workflowId: 'k', runId: 'r', status, result } as never);
  assert.equal(run('succeeded'), 0);
  assert.equal(run('failed', { exitCode: 7, signal: null }), 7);
  assert.equal(run('failed', { exitCode: null, signal: 'SIGKILL' }), 137);
  assert.equal(run('outcome_unknown'), EXIT.outcomeUnknown);
  assert.equal(run('cancelled'), EXIT.cancelled);
  assert.equal(run('terminated'), EXIT.cancelled);
  assert.equal(run('running'), EXIT.stillRunning);
  assert.equal(run('timed_out'), EXIT.timedOut);
  assert.deepEqual(
    [EXIT.keyConflict, EXIT.outcomeUnknown, EXIT.cancelled, EXIT.stillRunning, EXIT.timedOut, EXIT.error],
    [120, 121, 122, 123, 124, 125],
  );
});
