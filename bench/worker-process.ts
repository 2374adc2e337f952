// Scenario 5's SuperScript worker, in a process of its own so its peak RSS is the worker's alone.
// Started by scenarios/batch.ts as `node --expose-gc --import tsx bench/worker-process.ts`; prints one JSON
// line when ready, and stops on SIGTERM or when its stdin closes (the bench died).
import { readFileSync, writeFileSync } from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadRegistry } from '../src/config/scripts.js';
import { connectClient, connectWorker, temporalTarget } from '../src/config/temporal-connection.js';
import { createWorker } from '../src/worker/worker.js';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`worker-process: ${name} is not set`);
  return value;
};

Runtime.install({ logger: new DefaultLogger('WARN') });
const target = temporalTarget(need('BENCH_ADDRESS'));
const client = await connectClient(target);
const connection = await connectWorker(target);
const worker = await createWorker({
  connection,
  client,
  namespace: target.namespace,
  taskQueue: need('BENCH_TASK_QUEUE'),
  registry: loadRegistry(need('BENCH_REGISTRY')),
  dataDir: need('BENCH_DATA_DIR'),
  shutdownGraceMs: 0,
});
const running = worker.run();

// Start-up bundles the workflow code with webpack, a one-off peak. Record it, then reset the kernel's
// high-water mark (clear_refs 5) so VmHWM afterwards is the peak while serving the batch.
const startupHwmKb = statusKb('VmHWM');
(globalThis as { gc?: () => void }).gc?.();
let hwmReset = true;
try {
  writeFileSync('/proc/self/clear_refs', '5');
} catch {
  hwmReset = false;
}
process.stdout.write(
  JSON.stringify({ ready: true, startupHwmKb, readyRssKb: statusKb('VmRSS'), hwmReset }) + '\n',
);

const stop = (): void => {
  if (worker.getState() === 'RUNNING') worker.shutdown();
};
process.once('SIGTERM', stop);
process.stdin.once('end', stop);
process.stdin.resume();
await running;
process.stdin.pause();
await connection.close();
await client.connection.close();

function statusKb(field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : null;
}
