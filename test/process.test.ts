// The script runner: argv, capture, caps, timeouts, cancellation and the reaper. Real processes, no server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runProcess, type ProcessSpec } from '../src/process/spawn.js';
import { ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';
import { alive } from './support/processes.js';

const base = (over: Partial<ProcessSpec>): ProcessSpec => ({
  command: 'bash',
  args: ['-c', 'true'],
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  timeoutMs: 10_000,
  killGraceMs: 500,
  maxOutputBytes: 1024,
  ...over,
});

test('captures stdout, stderr and the exit code; arguments are argv, never shell', async () => {
  const out = await runProcess(
    base({ args: ['-c', 'echo "out:$1"; echo "err:$1" >&2; exit 3', 'script', '$(touch /tmp/pwned); `id`'] }),
  );
  assert.equal(out.exitCode, 3);
  assert.equal(out.stdout, 'out:$(touch /tmp/pwned); `id`\n');
  assert.equal(out.stderr, 'err:$(touch /tmp/pwned); `id`\n');
  assert.equal(out.timedOut, false);
  assert.ok(out.durationMs >= 0 && Date.parse(out.endedAt) >= Date.parse(out.startedAt));
});

test('output beyond the cap is cut and flagged', async () => {
  const out = await runProcess(
    base({ args: ['-c', 'head -c 5000 /dev/zero | tr "\\0" x'], maxOutputBytes: 100 }),
  );
  assert.equal(out.stdout.length, 100);
  assert.equal(out.stdoutTruncated, true);
  assert.equal(out.stderrTruncated, false);
});

/** Bytes a string takes once stored: JSON-encoded, as in a Temporal payload, without the quotes. */
const storedBytes = (text: string) => Buffer.byteLength(JSON.stringify(text)) - 2;

test('the cap counts output as stored: control bytes, invalid UTF-8 and escapes cost what they take in JSON', async () => {
  const print = (bytes: string) => base({ args: ['-c', `printf '${bytes}'`], maxOutputBytes: 100 });
  // \x01 is stored as \u0001: 6 bytes each, so 16 fit in 100.
  const control = await runProcess(print('\\001'.repeat(50)));
  assert.equal(control.stdout, '\u0001'.repeat(16));
  assert.equal(control.stdoutTruncated, true);
  // An invalid byte is stored as U+FFFD, 3 bytes.
  const invalid = await runProcess(print('\\377'.repeat(50)));
  assert.equal(invalid.stdout, '\ufffd'.repeat(33));
  assert.equal(invalid.stdoutTruncated, true);
  // Quotes and backslashes take 2; newline and tab too.
  const escaped = await runProcess(print('"\\\\\\n\\t'.repeat(20)));
  assert.equal(escaped.stdout, `${'"\\\n\t'.repeat(12)}"\\`);
  assert.equal(escaped.stdoutTruncated, true);
  for (const out of [control, invalid, escaped]) assert.ok(storedBytes(out.stdout) <= 100);
  // What fits is kept whole and not flagged.
  const fits = await runProcess(print('\\001'.repeat(16)));
  assert.equal(fits.stdout, '\u0001'.repeat(16));
  assert.equal(fits.stdoutTruncated, false);
});

test('output cut at the cap keeps whole characters', async () => {
  // 'é' is 2 bytes: a raw cut after 101 bytes would split one; 50 fit in 100 stored bytes.
  const out = await runProcess(
    base({ args: ['-c', 'for i in $(seq 60); do printf "é"; done'], maxOutputBytes: 101 }),
  );
  assert.equal(out.stdout, 'é'.repeat(50));
  assert.equal(out.stdoutTruncated, true);
  // A stream that really ends mid-character keeps the replacement for it.
  const ended = await runProcess(base({ args: ['-c', "printf 'a\\303'"] }));
  assert.equal(ended.stdout, 'a\ufffd');
  assert.equal(ended.stdoutTruncated, false);
});

test('the environment is exactly what was given', async () => {
  const out = await runProcess(base({ command: 'env', args: [], env: { ONLY: 'this' } }));
  assert.equal(out.stdout, 'ONLY=this\n');
});

test('the working folder is created if missing', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-runner-'));
  const cwd = path.join(dir, 'work', 'script');
  const out = await runProcess(base({ command: 'pwd', args: [], cwd }));
  assert.equal(out.stdout, `${cwd}\n`);
  // One that cannot be made (a file is in the way) is a failed run that says why.
  writeFileSync(path.join(dir, 'file'), '');
  const blocked = await runProcess(base({ command: 'pwd', args: [], cwd: path.join(dir, 'file', 'work') }));
  assert.equal(blocked.exitCode, null);
  assert.match(blocked.stderr, /cannot start pwd: ENOTDIR/);
});

test('a missing executable is a failed run with a clear message, not a crash', async () => {
  const out = await runProcess(base({ command: '/nonexistent/script.sh', args: [] }));
  assert.equal(out.exitCode, null);
  assert.match(out.stderr, /cannot start \/nonexistent\/script.sh/);
});

test('a timeout ends the whole process group', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-runner-'));
  const pids = path.join(dir, 'pids');
  const out = await runProcess(
    base({ args: ['-c', `sleep 30 & echo $! > ${pids}; wait`], timeoutMs: 300, killGraceMs: 500 }),
  );
  assert.equal(out.timedOut, true);
  assert.equal(out.signal, 'SIGTERM');
  const child = Number(readFileSync(pids, 'utf8'));
  await eventually('the grandchild to be gone', () => (alive(child) ? undefined : true), 3000);
});

test("a timeout gives the script's children their grace period before SIGKILL", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-runner-'));
  const done = path.join(dir, 'cleaned-up');
  // The child cleans up for 300 ms on SIGTERM; bash itself dies on SIGTERM at once.
  const child = `trap 'sleep 0.3; touch ${done}; exit 0' TERM; while :; do sleep 0.05; done`;
  const out = await runProcess(
    base({ args: ['-c', `bash -c "${child}" & wait`], timeoutMs: 200, killGraceMs: 2000 }),
  );
  assert.equal(out.timedOut, true);
  assert.ok(existsSync(done), 'the child finished its cleanup before the group was killed');
});

test('a script that ignores SIGTERM is killed after the grace period', async () => {
  const out = await runProcess(
    base({ args: ['-c', 'trap "" TERM; sleep 30 & wait; sleep 30'], timeoutMs: 200, killGraceMs: 300 }),
  );
  assert.equal(out.timedOut, true);
  assert.equal(out.signal, 'SIGKILL');
  assert.ok(out.durationMs < 5000, `took ${out.durationMs} ms`);
});

test('aborting ends the process group and reports cancelled', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const out = await runProcess(base({ args: ['-c', 'sleep 30'], signal: controller.signal }));
  assert.equal(out.cancelled, true);
  assert.equal(out.timedOut, false);
});

test('processes a script leaves behind in its group are ended when it exits', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-runner-'));
  const pids = path.join(dir, 'pids');
  const out = await runProcess(
    base({ args: ['-c', `sleep 30 >/dev/null 2>&1 & echo $! > ${pids}; disown; exit 0`] }),
  );
  assert.equal(out.exitCode, 0);
  const orphan = Number(readFileSync(pids, 'utf8'));
  await eventually('the orphan to be gone', () => (alive(orphan) ? undefined : true), 3000);
});

/** Starts `script` through the runner in a host process of its own; resolves with the host and the pids the script wrote. */
async function hostedScript(script: (pidFile: string) => string, killGraceMs: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-reaper-'));
  const pidFile = path.join(dir, 'pids');
  const host = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import { runProcess } from ${JSON.stringify(path.join(ROOT, 'src/process/spawn.ts'))};
       await runProcess({ command: 'bash', args: ['-c', ${JSON.stringify(script(pidFile))}], env: { PATH: process.env.PATH },
         timeoutMs: 60000, killGraceMs: ${killGraceMs}, maxOutputBytes: 1024 });`,
    ],
    { cwd: ROOT, stdio: 'ignore' },
  );
  const pids = await eventually(
    'the script to start',
    () => {
      try {
        const text = readFileSync(pidFile, 'utf8').trim();
        return text.includes(' ') ? text.split(' ').map(Number) : undefined;
      } catch {
        return undefined;
      }
    },
    20_000,
  );
  return { host, pids, dir };
}

test('the reaper ends a script when its host is SIGKILLed', async () => {
  // A host process that starts a long script through the runner, then is killed without warning.
  const { host, pids } = await hostedScript((f) => `sleep 60 & echo $$ $! > ${f}; wait`, 1000);
  assert.ok(pids.every(alive));
  host.kill('SIGKILL');
  // Orphaned, the reaper spawns sort, tail and sleep to time the grace period: on this machine a process
  // re-parented to PID 1 spawns slowly, and under CI's load that once took more than 8 s.
  await eventually('the script tree to be reaped', () => (pids.some(alive) ? undefined : true), 30_000);
});

test("the reaper keeps to the script's own grace period", async () => {
  // The script would need 1.5 s to clean up after SIGTERM; its grace is 0.2 s, so SIGKILL comes first.
  const { host, pids, dir } = await hostedScript(
    (f) =>
      `trap 'sleep 1.5; touch ${path.join('$DIR', 'cleaned')}; exit' TERM; sleep 60 & echo $$ $! > ${f}; wait`.replace(
        '$DIR',
        path.dirname(f),
      ),
    200,
  );
  host.kill('SIGKILL');
  await eventually('the script tree to be reaped', () => (pids.some(alive) ? undefined : true), 1400);
  await new Promise((resolve) => setTimeout(resolve, 1600));
  assert.equal(existsSync(path.join(dir, 'cleaned')), false, 'killed before its 1.5 s cleanup');
});
