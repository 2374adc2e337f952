// The real stack for tests: the Temporal dev server test/run.ts started, a worker on a task queue of this
// file's own, and optionally the HTTP API.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type NativeConnection, type Worker } from '@temporalio/worker';
import { buildApi } from '../../src/api/server.js';
import { loadRegistry, type ScriptRegistry } from '../../src/config/scripts.js';
import { connectClient, connectWorker, temporalTarget } from '../../src/config/temporal-connection.js';
import { Runs } from '../../src/runs/runs.js';
import { createWorker } from '../../src/worker/worker.js';

export { eventually } from './poll.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const REGISTRY_FILE = path.join(FIXTURES, 'registry.json');

// Worker life-cycle lines are noise in test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** The suite's Temporal server, which test/run.ts starts and names in TEMPORAL_ADDRESS. */
export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error(
      'No TEMPORAL_ADDRESS: run tests with `npm test` or `npx tsx test/run.ts <file words>`, which start the server.',
    );
  }
  return address;
}

export interface Stack {
  client: Client;
  runs: Runs;
  registry: ScriptRegistry;
  taskQueue: string;
  dataDir: string;
  address: string;
  api?: { app: FastifyInstance; url: string };
  /** A second worker on the same task queue, e.g. to take over from one that was killed. */
  addWorker(): Promise<() => Promise<void>>;
  /** Lines of the payment ledger in this stack's data folder. */
  ledger(): string[];
  /** Lines of a sleeper script's execution log. */
  executions(tag: string): string[];
  stop(): Promise<void>;
}

let queueCounter = 0;

export interface StackOptions {
  api?: boolean;
  worker?: boolean;
  /** Start runs as `superscript dev` does: eagerly, through the first worker's connection. */
  eager?: boolean;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const address = temporalAddress();
  const target = temporalTarget(address);
  const client = await connectClient(target);
  const registry = loadRegistry(REGISTRY_FILE);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'superscript-test-'));
  const taskQueue = `test-${process.pid}-${++queueCounter}-${Date.now()}`;
  process.env.PAYMENT_DELAY_SECONDS ??= '0.05';
  const stops: (() => Promise<void>)[] = [];
  let firstConnection: NativeConnection | undefined;

  const addWorker = async (): Promise<() => Promise<void>> => {
    const connection: NativeConnection = await connectWorker(target);
    firstConnection ??= connection;
    const worker: Worker = await createWorker({
      connection,
      client,
      namespace: target.namespace,
      taskQueue,
      registry,
      dataDir,
      shutdownGraceMs: 0,
    });
    const running = worker.run();
    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        worker.shutdown();
        await running;
        await connection.close();
      })());
    stops.push(stop);
    return stop;
  };
  if (opts.worker !== false || opts.eager) await addWorker();
  const eagerStarter =
    opts.eager && firstConnection
      ? new Client({ connection: firstConnection, namespace: target.namespace })
      : undefined;
  const runs = new Runs(client, taskQueue, { eagerStarter });

  let api: Stack['api'];
  if (opts.api) {
    const app = buildApi({ runs, registry, dataDir, waitMs: 30_000, logLevel: 'silent' });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    api = { app, url };
  }

  const lines = (file: string) => {
    try {
      return readFileSync(path.join(dataDir, file), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return {
    client,
    runs,
    registry,
    taskQueue,
    dataDir,
    address,
    api,
    addWorker,
    ledger: () => lines('ledger.log'),
    executions: (tag) => lines(`executions-${tag}.log`),
    stop: async () => {
      await api?.app.close();
      for (const stop of stops.reverse()) await stop();
      await client.connection.close();
    },
  };
}

/** Whether a process is alive: it exists and is not a zombie waiting for its (new) parent to reap it. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
