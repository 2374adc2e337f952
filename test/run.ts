// `npm test`: starts one real Temporal dev server as a child of this process, runs every test file
// against it with Node's test runner, then stops the server. Exits with the runner's code.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DevServer } from '../src/devserver/dev-server.js';
import { freePort } from '../src/devserver/free-port.js';
import { ensureTemporalCli } from '../src/devserver/temporal-cli.js';
import { ROOT } from './support/harness.js';
import { CHROMIUM, ensureSystemPrograms } from './support/system-packages.js';

const only = process.argv.slice(2);
const files = readdirSync(path.join(ROOT, 'test'))
  .filter((f) => f.endsWith('.test.ts') && (only.length === 0 || only.some((o) => f.includes(o))))
  .map((f) => path.join('test', f));
if (files.includes(path.join('test', 'web-ui.test.ts'))) ensureSystemPrograms([CHROMIUM]);

const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
const server = await DevServer.start({ cliPath, port: await freePort(), durability: 'memory' });

console.log(
  `Temporal dev server ${server.address} (${cliPath}); Node ${process.version}; ${files.length} test files`,
);
const started = Date.now();
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_CLI_PATH: cliPath },
  });
  child.once('exit', (c) => resolve(c ?? 1));
});
await server.stop();
console.log(`test run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
