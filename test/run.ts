// `npm test`: starts one real Temporal dev server as a child of this process, runs every test file
// against it with Node's test runner (two at a time), then the `*.solo.test.ts` files one by one (they bring
// up a whole cluster of their own and keep both cores busy), then stops the server. Installs the system
// programs the selected files need first. Exits 0 when every file passed. `npm test -- web-ui cli` runs the
// files whose names contain one of the words.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DevServer } from '../src/devserver/dev-server.js';
import { freePort } from '../src/devserver/free-port.js';
import { ensureTemporalCli } from '../src/devserver/temporal-cli.js';
import { ROOT } from './support/harness.js';
import { CHROMIUM, POSTGRESQL, ensureSystemPrograms, type SystemProgram } from './support/system-packages.js';

/** What a test file needs that npm does not install. */
const NEEDS: Record<string, SystemProgram[]> = {
  'web-ui.test.ts': [CHROMIUM],
  'cluster.solo.test.ts': [POSTGRESQL],
  'keystore.test.ts': [POSTGRESQL],
};

const only = process.argv.slice(2);
const selected = readdirSync(path.join(ROOT, 'test')).filter(
  (f) => f.endsWith('.test.ts') && (only.length === 0 || only.some((o) => f.includes(o))),
);
ensureSystemPrograms([...new Set(selected.flatMap((f) => NEEDS[f] ?? []))]);
const [solo, shared] = [true, false].map((s) =>
  selected.filter((f) => f.endsWith('.solo.test.ts') === s).map((f) => path.join('test', f)),
) as [string[], string[]];

const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
const server = await DevServer.start({ cliPath, port: await freePort(), durability: 'memory' });

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
