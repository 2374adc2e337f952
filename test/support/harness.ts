// The real stack for tests, assembled as `superscript dev` assembles it (src/stack): the Temporal dev server
// test/run.ts started, the stack's own key store, task queue and data folder, workers in this process, and
// optionally the HTTP API.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { pino } from 'pino';
import type { BatchGaugeOptions } from '../../src/api/batch-gauges.js';
import { apiAccess } from '../../src/api/access.js';
import { loadRegistry, type ScriptRegistry } from '../../src/config/scripts.js';
import { loadSettings } from '../../src/config/settings.js';
import type { KeyStore } from '../../src/keystore/store.js';
import { installSdkRuntime } from '../../src/metrics/sdk-runtime.js';
import type { BatchShape } from '../../src/runs/batches/specs.js';
import type { RunService } from '../../src/runs/service.js';
import { embeddedKeyStoreUrl } from '../../src/stack/key-store.js';
import { startStack as startInProcess } from '../../src/stack/stack.js';
import { externalTemporal, type Temporal } from '../../src/stack/temporal.js';
import { ledger, lines } from './data-folder.js';
import { FIXTURE_REGISTRY } from './paths.js';

/** A value no other test run has used, for keys, tags and order IDs. */
export const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

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
  /** A second worker on the same task queue, e.g. to take over from one that was killed; returns its stop. */
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
  /** The web UI's public base URL, for the links notifications carry (SUPERSCRIPT_PUBLIC_URL). */
  publicUrl?: string;
  /** How often workers read the schedules' skipped and missed fires for notifications (default 15 s). */
  scheduleWatchMs?: number;
  /** Start runs as `superscript dev` does: eagerly, through the first worker's connection. */
  eager?: boolean;
  /** Workers run only keys the front door reserved (SUPERSCRIPT_REQUIRE_RESERVATION). */
  requireReservation?: boolean;
  /** Another Temporal than the suite's (the stack stops what it started there), its task queue and data folder. */
  existing?: { temporal: Temporal; taskQueue: string; dataDir: string };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const temporal = opts.existing?.temporal ?? externalTemporal({ address: temporalAddress() });
  const address = temporal.target.address;
  const registry = loadRegistry(opts.registryFile ?? FIXTURE_REGISTRY);
  const dataDir = opts.existing?.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'superscript-test-'));
  const taskQueue = opts.existing?.taskQueue ?? `test-${process.pid}-${++queueCounter}-${Date.now()}`;
  process.env.PAYMENT_DELAY_SECONDS ??= '0.05';
  // The stack's key store, as the embedded default keeps it: a SQLite file in the data folder.
  const keyStoreUrl = embeddedKeyStoreUrl(dataDir);
  const env = {
    TEMPORAL_ADDRESS: address,
    SUPERSCRIPT_TASK_QUEUE: taskQueue,
    SUPERSCRIPT_CONFIG: FIXTURE_REGISTRY,
    SUPERSCRIPT_DATA_DIR: dataDir,
    SUPERSCRIPT_KEY_STORE_URL: keyStoreUrl,
    SUPERSCRIPT_LOG_LEVEL: 'error',
  };
  const api = opts.api === true ? {} : opts.api || undefined;
  const settings = {
    ...loadSettings({
      ...env,
      SUPERSCRIPT_CONFIG: opts.registryFile ?? FIXTURE_REGISTRY,
      SUPERSCRIPT_REQUIRE_RESERVATION: String(opts.requireReservation ?? false),
      SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: '0',
      SUPERSCRIPT_MIN_RETENTION_DAYS: '0',
      // The API's request log.
      SUPERSCRIPT_LOG_LEVEL: 'silent',
    }),
    // A free port, on loopback as `superscript dev` serves it.
    apiPort: 0,
    tokensFile: api?.tokensFile,
    publicUrl: opts.publicUrl,
  };
  const stack = await startInProcess(
    // The stack's own lines: only a worker that fails on its own, and errors.
    { settings, registry, log: pino({ level: 'error' }, pino.destination(2)), sdkMetricsUrl },
    {
      temporal,
      workers: opts.worker !== false || opts.eager ? 1 : 0,
      eager: opts.eager,
      batchShape: opts.batchShape,
      temporalUiUrl: opts.temporalUiUrl,
      scheduleWatchMs: opts.scheduleWatchMs,
      api: api && {
        ...apiAccess(settings.apiHost, settings.tokensFile),
        traditionalRoute: api.traditionalRoute ?? true,
        batchGauges: api.batchGauges,
      },
    },
  );
  return {
    client: stack.client,
    runs: stack.runs,
    keys: stack.keys,
    registry,
    taskQueue,
    dataDir,
    address,
    api: stack.api,
    env: {
      ...env,
      // The CLI's client commands reach this stack's API, open as on loopback without a tokens file.
      ...(stack.api
        ? { SUPERSCRIPT_API_URL: stack.api.url, SUPERSCRIPT_TOKEN: '', SUPERSCRIPT_TOKENS_FILE: '' }
        : {}),
    },
    addWorker: async () => (await stack.addWorker()).stop,
    ledger: () => ledger(dataDir),
    executions: (tag) => lines(dataDir, `executions-${tag}.log`),
    stop: () => stack.stop(),
  };
}
