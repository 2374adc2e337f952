// The real stack for tests: the Temporal dev server test/run.ts started, a worker on a task queue of this
// file's own, and optionally the HTTP API.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Client } from '@temporalio/client';
import { DefaultLogger, type NativeConnection } from '@temporalio/worker';
import type { BatchGaugeOptions } from '../../src/api/batch-gauges.js';
import { buildApi } from '../../src/api/server.js';
import { loadRegistry, type ScriptRegistry } from '../../src/config/scripts.js';
import { TokenStore } from '../../src/config/tokens.js';
import { connectClient, connectWorker, temporalTarget } from '../../src/config/temporal-connection.js';
import { installSdkRuntime } from '../../src/metrics/sdk-runtime.js';
import type { BatchShape } from '../../src/runs/batches/specs.js';
import { embeddedKeyStoreUrl } from '../../src/cli/key-store.js';
import { openKeyStore } from '../../src/keystore/open.js';
import type { KeyStore } from '../../src/keystore/store.js';
import { ensureFilled } from '../../src/runs/fill-keys.js';
import { RunService } from '../../src/runs/service.js';
import { createWorker, type SuperScriptWorker } from '../../src/worker/worker.js';

export { eventually } from './poll.js';

/** A value no other test run has used, for keys, tags and order IDs. */
export const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const REGISTRY_FILE = path.join(FIXTURES, 'registry.json');

// Worker life-cycle lines are noise in test output; warnings and errors still show. The SDK's metrics are
// exported as under `superscript dev`, and the stack's API appends them to its own /metrics.
export const sdkMetricsUrl = await installSdkRuntime(new DefaultLogger('WARN'), true);

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
  runs: RunService;
  /** The stack's key store (also `runs.keys`). */
  keys: KeyStore;
  registry: ScriptRegistry;
  taskQueue: string;
  dataDir: string;
  address: string;
  api?: { app: FastifyInstance; url: string };
  /** What a `bin/superscript.js` child process needs in its environment to use this stack. */
  env: Record<string, string>;
  /** A second worker on the same task queue, e.g. to take over from one that was killed. */
  addWorker(): Promise<() => Promise<void>>;
  /** Lines of the payment ledger in this stack's data folder. */
  ledger(): string[];
  /** Lines of a sleeper script's execution log. */
  executions(tag: string): string[];
  stop(): Promise<void>;
}

let queueCounter = 0;

export interface StackApiOptions {
  /** Require bearer tokens from this tokens file; without one the API is open, as on loopback today. */
  tokensFile?: string;
  /** Serve POST /v1/payments/traditional, as `superscript dev` does (default true). */
  traditionalRoute?: boolean;
  /** The batch gauges' interval and clock. */
  batchGauges?: BatchGaugeOptions;
}

export interface StackOptions {
  api?: boolean | StackApiOptions;
  worker?: boolean;
  /** Another script registry than test/fixtures/registry.json. */
  registryFile?: string;
  /** How the API cuts batches into parts. */
  batchShape?: BatchShape;
  /** Temporal's Web UI, for the links the API gives. */
  temporalUiUrl?: string;
  /** Start runs as `superscript dev` does: eagerly, through the first worker's connection. */
  eager?: boolean;
  /** Workers run only keys the front door reserved (SUPERSCRIPT_REQUIRE_RESERVATION). */
  requireReservation?: boolean;
  /** Another Temporal server than the suite's, its task queue and data folder: an installation to upgrade. */
  existing?: { address: string; taskQueue: string; dataDir: string };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const address = opts.existing?.address ?? temporalAddress();
  const target = temporalTarget(address);
  const client = await connectClient(target);
  const registry = loadRegistry(opts.registryFile ?? REGISTRY_FILE);
  const dataDir = opts.existing?.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'superscript-test-'));
  const taskQueue = opts.existing?.taskQueue ?? `test-${process.pid}-${++queueCounter}-${Date.now()}`;
  process.env.PAYMENT_DELAY_SECONDS ??= '0.05';
  const stops: (() => Promise<void>)[] = [];
  let firstConnection: NativeConnection | undefined;
  // The stack's key store, as the embedded default keeps it: a SQLite file in the data folder.
  const keyStoreUrl = embeddedKeyStoreUrl(dataDir);
  const keys = await openKeyStore(keyStoreUrl, `${target.namespace}/${taskQueue}`);
  await ensureFilled({ client, taskQueue, keys });

  const addWorker = async (): Promise<() => Promise<void>> => {
    const connection: NativeConnection = await connectWorker(target);
    firstConnection ??= connection;
    const worker: SuperScriptWorker = await createWorker({
      connection,
      client,
      namespace: target.namespace,
      taskQueue,
      registry,
      dataDir,
      keyStore: keys,
      requireReservation: opts.requireReservation ?? false,
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
  const runs = new RunService({
    client,
    taskQueue,
    keys,
    registry,
    eagerStarter,
    batchShape: opts.batchShape,
    temporalUiUrl: opts.temporalUiUrl,
  });

  let api: Stack['api'];
  if (opts.api) {
    const { tokensFile, traditionalRoute = true, batchGauges } = opts.api === true ? {} : opts.api;
    // As `superscript dev` serves it on loopback.
    const app = buildApi({
      runs,
      dataDir,
      waitMs: 30_000,
      logLevel: 'silent',
      sdkMetricsUrl,
      tokens: tokensFile === undefined ? undefined : new TokenStore(tokensFile),
      localHostOnly: true,
      traditionalRoute,
      batchGauges,
    });
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
    keys,
    registry,
    taskQueue,
    dataDir,
    address,
    api,
    env: {
      TEMPORAL_ADDRESS: address,
      SUPERSCRIPT_TASK_QUEUE: taskQueue,
      SUPERSCRIPT_CONFIG: REGISTRY_FILE,
      SUPERSCRIPT_DATA_DIR: dataDir,
      SUPERSCRIPT_KEY_STORE_URL: keyStoreUrl,
      SUPERSCRIPT_LOG_LEVEL: 'error',
      // The CLI's client commands reach this stack's API, open as on loopback without a tokens file.
      ...(api ? { SUPERSCRIPT_API_URL: api.url, SUPERSCRIPT_TOKEN: '', SUPERSCRIPT_TOKENS_FILE: '' } : {}),
    },
    addWorker,
    ledger: () => lines('ledger.log'),
    executions: (tag) => lines(`executions-${tag}.log`),
    stop: async () => {
      await api?.app.close();
      for (const stop of stops.reverse()) await stop();
      await client.connection.close();
      await keys.close();
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
