// The cluster's quick fault subset (`npm run faults -- --cluster --quick`) as part of the test command: a
// fresh local cluster (PostgreSQL, the full Temporal Server 1.29.1, two workers and two APIs), then a
// dedup storm, worker SIGKILLs, a server SIGKILL and a PostgreSQL restart mid-batch, and an API SIGKILL
// mid-storm. Run alone, after the other files (test/run.ts): it keeps both cores busy for minutes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './support/harness.js';

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
    const child = spawn(process.execPath, ['--import', 'tsx', 'faults/run.ts', '--cluster', '--quick'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const report = JSON.parse(
      readFileSync(path.join(ROOT, 'faults', 'results', 'cluster-quick.json'), 'utf8'),
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
      ['R1', 'R2', 'R3', 'R6', 'R7'],
    );
    assert.equal(report.held, true);
    assert.equal(code, 0);
  },
);
