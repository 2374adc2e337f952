// `npm test`: builds (`npm run build`, so tests that spawn bin/superscript.js run the code under test), starts
// one real Temporal dev server as a child of this process, runs every test file against it with Node's test
// runner (two at a time), then the `*.solo.test.ts` files one by one (they bring up a whole cluster of their
// own and keep both cores busy), then stops the server. Installs the system programs the selected files need
// first. Exits 0 when every file passed. `npm test -- web-ui cli` (or `npx tsx test/run.ts web-ui cli`) runs
// the files whose names contain one of the words; words that select no file are an error, not a pass.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ensureTemporalCli } from '../src/devserver/temporal-cli.js';
import { EmbeddedTemporal } from '../src/stack/temporal.js';
import { ROOT } from './support/paths.js';
import { CHROMIUM, POSTGRESQL, ensureSystemPrograms, type SystemProgram } from './support/system-packages.js';

/** What a test file needs that npm does not install. */
const NEEDS: Record<string, SystemProgram[]> = {
  'web-ui.test.ts': [CHROMIUM],
  'cluster.solo.test.ts': [POSTGRESQL],
  'keystore.test.ts': [POSTGRESQL],
};

const only = process.argv.slice(2);
const testFiles = readdirSync(path.join(ROOT, 'test')).filter((f) => f.endsWith('.test.ts'));
const selected = testFiles.filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
// A mistyped word must not pass as a green run of nothing.
if (selected.length === 0) {
  console.error(
    `No test file matches ${only.map((o) => `"${o}"`).join(', ')}; the test files are:\n  ${testFiles.join('\n  ')}`,
  );
  process.exit(2);
}
ensureSystemPrograms([...new Set(selected.flatMap((f) => NEEDS[f] ?? []))]);
await build();
const [solo, shared] = [true, false].map((s) =>
  selected.filter((f) => f.endsWith('.solo.test.ts') === s).map((f) => path.join('test', f)),
) as [string[], string[]];

const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
const server = await EmbeddedTemporal.start({ cliPath, durability: 'memory' });

console.log(
  `Temporal dev server ${server.address} (${cliPath}); Node ${process.version}; ` +
    `${shared.length} test files, then ${solo.length} alone`,
);
const started = Date.now();
const codes: number[] = [];
for (const [files, concurrency] of [
  [shared, 2],
  [solo, 1],
] as const) {
  if (files.length === 0) continue;
  codes.push(
    await new Promise<number>((resolve) => {
      const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files];
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_CLI_PATH: cliPath },
      });
      child.once('exit', (c) => resolve(c ?? 1));
    }),
  );
}
await server.stop();
console.log(`test run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(codes.every((c) => c === 0) ? 0 : 1);

/** `npm run build`, as a child: dist/ must be the code under test, whichever way this file was started. */
async function build(): Promise<void> {
  const started = Date.now();
  const failure = await new Promise<string | undefined>((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    child.once('error', (err) => resolve(err.message));
    child.once('exit', (code, signal) => resolve(code === 0 ? undefined : `exited ${code ?? signal}`));
  });
  if (failure) {
    console.error(`npm run build failed (${failure}): no test ran`);
    process.exit(1);
  }
  console.log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
