// The demo scripts, end to end: start.sh starts a `superscript dev` of its own on free ports with a
// temporary data folder, each demo runs and checks its own claim (exit 0), the ledger is checked here as
// well, and stop.sh runs whatever happens, leaving nothing running.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../src/devserver/free-port.js';
import { ROOT } from './support/paths.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface LedgerLine {
  time: string;
  order: string;
  amount: string;
}

/** `count` distinct ports nobody listens on. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** State, ppid, pgrp, ... of a process from /proc/PID/stat, after its command name (which may hold spaces). */
function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone, or no /proc
  }
}

/** Whether a process is alive; a zombie has exited and only waits to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return procStat(pid)?.[0] !== 'Z';
}

/** The live processes of a process group (Linux /proc; empty elsewhere). */
function groupMembers(pgid: number): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const stat = procStat(entry);
      return stat !== undefined && stat[0] !== 'Z' && Number(stat[2]) === pgid;
    })
    .map(Number);
}

function transcript(name: string, run: Run): string {
  return `${name} exited ${run.code ?? run.signal}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

function assertPassed(name: string, run: Run): void {
  assert.equal(run.code, 0, transcript(name, run));
  assert.doesNotMatch(run.stdout, /^FAIL /m, transcript(name, run));
  assert.match(
    run.stdout,
    new RegExp(`${name.replace('.', '\\.')}: all checks passed`),
    transcript(name, run),
  );
}

test('demo scripts', { timeout: 20 * 60_000 }, async (t) => {
  const [apiPort, temporalPort, uiPort, unusedPort] = await freePorts(4);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'superscript-demos-'));
  const dataDir = path.join(tmp, 'data');
  const cwd = path.join(tmp, 'elsewhere');
  mkdirSync(cwd);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    SUPERSCRIPT_DATA_DIR: dataDir,
    SUPERSCRIPT_API_PORT: String(apiPort),
    SUPERSCRIPT_TEMPORAL_PORT: String(temporalPort),
    SUPERSCRIPT_UI_PORT: String(uiPort),
    PAYMENT_DELAY_SECONDS: '0.2',
    DEMO_REQUESTS: '4',
    NO_COLOR: '1',
    // The demos talk to their own server only: the suite's Temporal is replaced by an address where
    // nothing listens, so a demo that used TEMPORAL_ADDRESS as it came would fail.
    TEMPORAL_ADDRESS: `127.0.0.1:${unusedPort}`,
  };
  for (const name of ['LEDGER_FILE', 'SUPERSCRIPT_API_URL', 'SUPERSCRIPT_CONFIG', 'SUPERSCRIPT_LOG_LEVEL']) {
    delete baseEnv[name];
  }

  /** Runs demo/NAME from an unrelated folder; on timeout its whole process group is killed. */
  const run = (name: string, timeoutMs = 180_000, env: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(path.join(ROOT, 'demo', name), [], {
        cwd,
        env: { ...baseEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        stderr += `\n[test: ${name} timed out after ${timeoutMs} ms; killed]\n`;
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      }, timeoutMs);
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });

  const ledger = (): LedgerLine[] => {
    const file = path.join(dataDir, 'ledger.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [time = '', order = '', amount = ''] = line.split(' ');
        return { time, order, amount };
      });
  };
  /** Runs a demo and returns what it added to the ledger. */
  const runCounting = async (name: string, env: NodeJS.ProcessEnv = {}) => {
    const before = ledger().length;
    const result = await run(name, 180_000, env);
    return { result, added: ledger().slice(before) };
  };
  const countByOrder = (lines: LedgerLine[]) => {
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l.order, (counts.get(l.order) ?? 0) + 1);
    return counts;
  };

  let devPid: number | undefined;
  let devGroup: number[] = [];
  let stopped = false;
  t.after(async () => {
    if (!stopped && existsSync(path.join(dataDir, 'dev.pid'))) {
      const result = await run('stop.sh', 120_000);
      if (result.code !== 0) console.error(transcript('stop.sh (cleanup)', result));
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  await t.test('start.sh starts superscript dev in the background and waits for /healthz', async () => {
    const result = await run('start.sh', 300_000);
    assert.equal(result.code, 0, transcript('start.sh', result));
    assert.match(result.stdout, /SuperScript dev is running/, transcript('start.sh', result));
    const pid = Number(readFileSync(path.join(dataDir, 'dev.pid'), 'utf8').trim());
    assert.ok(Number.isInteger(pid) && alive(pid), `dev.pid holds a live pid: ${pid}`);
    devPid = pid;
    // In a session of its own, leading its process group; its Temporal server has a group of its own.
    devGroup = groupMembers(pid);
    if (existsSync('/proc')) assert.ok(devGroup.includes(pid), `process group ${pid}: ${devGroup.join(' ')}`);
    const health = await fetch(`${apiUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(readFileSync(path.join(dataDir, 'dev.log'), 'utf8').includes('SuperScript dev is running'));
  });
  const skip = devPid === undefined ? 'start.sh failed' : false;

  await t.test('traditional.sh: concurrent calls charge the order several times', { skip }, async () => {
    const { result, added } = await runCounting('traditional.sh');
    assertPassed('traditional.sh', result);
    const counts = countByOrder(added);
    assert.equal(counts.size, 1, `one order: ${[...counts.keys()].join(', ')}`);
    const [[order, count]] = [...counts] as [[string, number]];
    assert.ok(count > 1, `charged ${count} times`);
    assert.equal(count, 4, 'once per request (DEMO_REQUESTS=4)');
    assert.ok(result.stdout.includes(order), 'the demo names the order it charged');
  });

  await t.test('single-payment.sh: the same concurrent calls charge the order once', { skip }, async () => {
    const { result, added } = await runCounting('single-payment.sh');
    assertPassed('single-payment.sh', result);
    assert.equal(added.length, 1, `one charge: ${JSON.stringify(added)}`);
    assert.ok(result.stdout.includes(added[0]!.order));
    assert.match(result.stdout, /replayed=true/);
  });

  await t.test(
    'orchestrator.sh: a batch with orders already charged charges each once',
    { skip },
    async () => {
      const { result, added } = await runCounting('orchestrator.sh');
      assertPassed('orchestrator.sh', result);
      const counts = countByOrder(added);
      assert.equal(counts.size, 4, `four orders: ${[...counts.keys()].join(', ')}`);
      for (const [order, count] of counts) assert.equal(count, 1, `${order} charged ${count} times`);
      assert.match(result.stdout, /succeeded=2 alreadyDone=2/);
      assert.match(result.stdout, /succeeded=0 alreadyDone=4/);
    },
  );

  await t.test('exec-cron.sh: superscript exec runs its command once per key', { skip }, async () => {
    const file = path.join(dataDir, 'cron-report.log');
    const before = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    const result = await run('exec-cron.sh', 300_000);
    assertPassed('exec-cron.sh', result);
    const added = readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(before);
    const keys = added.map((line) => line.split(' ')[1]);
    assert.equal(added.length, 3, `one line per key (3 keys, 8 invocations):\n${added.join('\n')}`);
    assert.equal(new Set(keys).size, 3, `distinct keys: ${keys.join(', ')}`);
    assert.equal((result.stdout.match(/RAN the command/g) ?? []).length, 3);
    assert.equal((result.stdout.match(/replayed, did not run it/g) ?? []).length, 5);
  });

  await t.test('a demo whose claim does not hold exits non-zero', { skip }, async () => {
    // One request cannot charge an order twice: traditional.sh's own check must fail.
    const { result, added } = await runCounting('traditional.sh', { DEMO_REQUESTS: '1' });
    assert.equal(result.code, 1, transcript('traditional.sh', result));
    assert.match(result.stdout, /^FAIL order \S+ charged more than once/m);
    assert.equal(added.length, 1);
  });

  await t.test('stop.sh stops it and leaves nothing running', { skip }, async () => {
    const result = await run('stop.sh', 120_000);
    assert.equal(result.code, 0, transcript('stop.sh', result));
    stopped = true;
    assert.match(result.stdout, /Stopped\./);
    assert.ok(!existsSync(path.join(dataDir, 'dev.pid')), 'dev.pid removed');
    const left = devGroup.filter((pid) => alive(pid));
    assert.deepEqual(left, [], `still running: ${left.join(' ')}`);
    if (devPid !== undefined) assert.deepEqual(groupMembers(devPid), []);
    assert.equal(temporalServersOn(temporalPort!), '', 'its Temporal server was stopped');
    await assert.rejects(fetch(`${apiUrl}/healthz`), 'the API no longer answers');
  });

  await t.test('demos refuse to run when the server is not up', { skip }, async () => {
    const result = await run('single-payment.sh', 60_000);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Run demo\/start\.sh first/);
    const again = await run('stop.sh', 60_000);
    assert.equal(again.code, 0, transcript('stop.sh', again));
    assert.match(again.stdout, /Not running/);
  });
});

/** Command lines of Temporal dev servers still listening on `port` ('' when none). */
function temporalServersOn(port: number): string {
  try {
    return execFileSync('pgrep', ['-af', `start-dev.*--port ${port}`])
      .toString()
      .trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
}
