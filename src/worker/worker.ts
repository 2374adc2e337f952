// A SuperScript worker: the workflows plus the activities that run registered scripts, and those that wait
// (batches' orders, schedules' fires).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { pino, type Logger } from 'pino';
import { createActivities, createBatchActivities } from '../activities/index.js';
import type { ScriptRegistry } from '../config/scripts.js';
import type { TokenStore } from '../config/tokens.js';
import { KeyGuard } from '../keystore/guard.js';
import type { KeyStore } from '../keystore/store.js';
import type { RunSource } from '../runs/read.js';
import { RunService } from '../runs/service.js';
import { createFireSchedule } from '../schedules/fire.js';
import { batchTaskQueue } from '../shared/ids.js';
import { observeActivities } from './activity-observer.js';
import { zeroOutcomeUnknown } from './zero-counts.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// index.ts when run from source (tests, tsx), index.js when run from the build.
const WORKFLOWS_PATH = ['index.ts', 'index.js']
  .map((file) => path.join(here, '..', 'workflows', file))
  .find((file) => existsSync(file))!;

/** Written by `npm run build` (build-bundle.ts) next to the compiled workflows. */
export const PREBUILT_BUNDLE = path.join(here, '..', 'workflow-bundle.js');

let bundle: Promise<{ code: string }> | undefined;

/**
 * The workflow bundle: the one `npm run build` wrote when running from the build, so a worker or `exec`
 * starts without bundling; otherwise (tests, tsx) built once per process, about 1 s.
 */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??=
    WORKFLOWS_PATH.endsWith('.js') && existsSync(PREBUILT_BUNDLE)
      ? readFile(PREBUILT_BUNDLE, 'utf8').then((code) => ({ code }))
      : buildWorkflowBundle();
  return bundle;
}

export function buildWorkflowBundle(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

export interface WorkerParams {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  taskQueue: string;
  registry: ScriptRegistry;
  dataDir: string;
  /** The installation's keys: claimed where each script runs, before it starts. */
  keyStore: KeyStore;
  /** Run only keys SuperScript's front door reserved (SUPERSCRIPT_REQUIRE_RESERVATION). */
  requireReservation: boolean;
  /** How long a stopping worker lets running scripts finish before cancelling them. */
  shutdownGraceMs: number;
  /**
   * The API's tokens (SUPERSCRIPT_TOKENS_FILE): a schedule's fire runs only while the token that created the
   * schedule is live and keeps its scopes. Without them (an open API) there is no authority to check.
   */
  tokens?: TokenStore;
  /** Where lines about the runs it executes go (each names its run). Default: nowhere. */
  log?: Logger;
  /** Extra worker options, e.g. concurrency limits. */
  options?: Partial<WorkerOptions>;
}

/** The workers of one process: the installation's task queue, and the batch task queue beside it. */
export interface SuperScriptWorker {
  run(): Promise<void>;
  shutdown(): void;
}

/** Batch activities held at once per worker process; they wait on runs, so they cost a poll each, no CPU. */
const BATCH_ACTIVITY_SLOTS = 2000;

export async function createWorker(p: WorkerParams): Promise<SuperScriptWorker> {
  zeroOutcomeUnknown(p.namespace, p.taskQueue, p.registry.names());
  const runs: RunSource = { client: p.client, taskQueue: p.taskQueue, keys: p.keyStore };
  const [main, batch] = await Promise.all([
    createMainWorker(p, runs),
    // Batch activities mostly wait for runs: on a queue of their own they can never hold every slot and
    // starve the scripts they wait for.
    Worker.create({
      connection: p.connection,
      namespace: p.namespace,
      taskQueue: batchTaskQueue(p.taskQueue),
      activities: {
        ...createBatchActivities(p.registry, runs),
        // A schedule's fire starts its run through the front door, as the API would.
        fireSchedule: createFireSchedule(
          new RunService({
            client: p.client,
            taskQueue: p.taskQueue,
            keys: p.keyStore,
            registry: p.registry,
          }),
          p.tokens,
        ),
      },
      maxConcurrentActivityTaskExecutions: BATCH_ACTIVITY_SLOTS,
      shutdownGraceTime: p.shutdownGraceMs,
      defaultHeartbeatThrottleInterval: '1 second',
      maxHeartbeatThrottleInterval: '1 second',
    }),
  ]);
  const shutdown = () => {
    for (const w of [main, batch]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    // Either one stopping (or failing) stops both, so the process never keeps half a worker.
    run: async () => void (await Promise.all([main.run().finally(shutdown), batch.run().finally(shutdown)])),
    shutdown,
  };
}

async function createMainWorker(p: WorkerParams, runs: RunSource): Promise<Worker> {
  return Worker.create({
    connection: p.connection,
    namespace: p.namespace,
    taskQueue: p.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(
      p.registry,
      runs,
      p.dataDir,
      new KeyGuard(p.keyStore, p.client, p.requireReservation),
    ),
    interceptors: { activity: [observeActivities(p.log ?? pino({ level: 'silent' }), p.registry.names())] },
    shutdownGraceTime: p.shutdownGraceMs,
    // Past the grace, cancelled activities get this long to report before the worker stops regardless.
    shutdownForceTime: p.shutdownGraceMs + 10_000,
    // Cancellation reaches an activity with its heartbeat; a short throttle keeps `cancel` prompt.
    defaultHeartbeatThrottleInterval: '1 second',
    maxHeartbeatThrottleInterval: '1 second',
    // When a worker dies, its cached runs wait this long before another worker takes them (SDK default 10 s):
    // it is most of the delay before a killed script's run is reported outcome_unknown.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    ...p.options,
  });
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
