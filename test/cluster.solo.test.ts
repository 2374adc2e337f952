// A real cluster (PostgreSQL and the full Temporal Server 1.29.1) as part of the test command: `superscript
// cluster up` and `down` as an operator runs them, then the cluster's quick fault subset (`npm run faults --
// --cluster --quick`: a dedup storm, worker SIGKILLs, a server SIGKILL, a PostgreSQL fast shutdown and a
// PostgreSQL SIGKILL mid-batch, an API SIGKILL mid-storm, workflows started by hand for used keys, and the
// key store's own database stopped and killed mid-batch). Run alone, after the other files (test/run.ts): it
// keeps both cores busy for minutes.
// The server opens its gRPC and membership ports only: no HTTP port, which any web page could post to.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../src/devserver/free-port.js';
import { runCli } from './support/cli.js';
import { uid } from './support/harness.js';
import { ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';

test(
  'superscript cluster up serves payments once per order; a second up on its folder is refused; down stops it',
  { timeout: 30 * 60_000 },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-cluster-cli-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as its own user and must reach its folder inside
    const env = {
      SUPERSCRIPT_CONFIG: path.join(ROOT, 'superscript.config.json'),
      SUPERSCRIPT_LOG_LEVEL: 'warn',
    };
    const apiPort = await freePort();
    const upArgs = ['cluster', 'up', '--data-dir', dir, '--workers', '1', '--apis', '1'];
    const up = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'superscript.js'), ...upArgs, '--api-port', String(apiPort), '--free-ports'],
      { env: { ...process.env, ...env } },
    );
    let stdout = '';
    let stderr = '';
    up.stdout.on('data', (c: Buffer) => (stdout += c));
    up.stderr.on('data', (c: Buffer) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
    try {
      // The first run builds the Temporal server and its schema tool (minutes) into the per-user cache.
      await eventually(
        'the cluster to be up',
        () => {
          if (up.exitCode !== null) throw new Error(`cluster up exited ${up.exitCode}: ${stderr}`);
          return /SuperScript cluster is running/.test(stdout) ? true : undefined;
        },
        25 * 60_000,
      );
      assert.match(stdout, new RegExp(`APIs +http://127.0.0.1:${apiPort}\\n`));

      const orderId = `cluster-cli-${uid()}`;
      const pay = async () => {
        const res = await fetch(`http://127.0.0.1:${apiPort}/v1/payments?wait=60s`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ orderId, amount: 12 }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const first = await pay();
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual([first.body.status, first.body.executed], ['succeeded', true]);
      const again = await pay();
      assert.deepEqual(
        [again.body.runId, again.body.executed, again.body.replayed],
        [first.body.runId, false, true],
      );
      const ledger = readFileSync(path.join(dir, 'data', 'ledger.log'), 'utf8');
      assert.equal(ledger.split('\n').filter((l) => l.includes(` ${orderId} `)).length, 1, ledger);

      // Temporal's HTTP port (its HTTP API and Nexus's routes) is not opened: SuperScript uses neither.
      const config = readFileSync(path.join(dir, 'temporal', 'config', 'superscript.yaml'), 'utf8');
      const configured = [...config.matchAll(/(?:grpcPort|membershipPort): (\d+)/g)].map((m) => Number(m[1]));
      assert.equal(configured.length, 8, config);
      const listening = listeningPorts(pidOf('--root', path.join(dir, 'temporal')));
      const frontend = Number(/Temporal +127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
      assert.ok(listening.includes(frontend), `the frontend ${frontend} among ${listening.join(' ')}`);
      assert.deepEqual(
        listening.filter((port) => !configured.includes(port)),
        [],
        'no port but its configured gRPC and membership ones',
      );

      const second = await runCli([...upArgs, '--free-ports'], env);
      assert.equal(second.code, 125, second.stderr);
      assert.match(second.stderr, new RegExp(`A cluster already runs from ${dir} \\(pid ${up.pid}\\)`));

      const down = await runCli(['cluster', 'down', '--data-dir', dir], env);
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, /Stopped\./);
      assert.equal(await exited, 0, stderr);
      assert.ok(!existsSync(path.join(dir, 'cluster.json')), 'the state file goes with the cluster');
    } finally {
      up.kill('SIGTERM');
      await exited;
    }
  },
);

/** The process whose command line holds every one of `args`. */
function pidOf(...args: string[]): number {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.every((a) => argv.includes(a))) return Number(entry);
    } catch {
      // it ended meanwhile
    }
  }
  throw new Error(`No process with ${args.join(' ')}`);
}

/** The TCP ports a process listens on: its sockets among those /proc/net lists in state LISTEN (0A). */
function listeningPorts(pid: number): number[] {
  const portOfInode = new Map<string, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state === '0A' && local && inode) portOfInode.set(inode, parseInt(local.split(':')[1]!, 16));
    }
  }
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      const port = socket && portOfInode.get(socket[1]!);
      return port ? [port] : [];
    } catch {
      return []; // closed meanwhile
    }
  });
}

interface Report {
  startedAt: string;
  held: boolean;
  scenarios: { scenario: string; held: boolean; details: string[] }[];
}

test(
  'every quick cluster fault holds: each key runs once, every order is charged once',
  { timeout: 40 * 60_000 },
  async () => {
    const started = Date.now();
    // The first run builds the Temporal server and its schema tool (minutes) into the per-user cache.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/faults/run.ts', '--cluster', '--quick'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const report = JSON.parse(
      readFileSync(path.join(ROOT, 'test', 'faults', 'results', 'cluster-quick.json'), 'utf8'),
    ) as Report;
    assert.ok(Date.parse(report.startedAt) >= started - 1000, `no report from this run (exit ${code})`);
    const broken = report.scenarios.filter((s) => !s.held);
    assert.deepEqual(
      broken.map((s) => `${s.scenario}: ${s.details.join('; ')}`),
      [],
      'scenarios that did not hold',
    );
    assert.deepEqual(
      report.scenarios.map((s) => s.scenario),
      ['R1', 'R2', 'R3', 'R6', 'R7', 'R8', 'R10'],
    );
    assert.equal(report.held, true);
    assert.equal(code, 0);
  },
);
