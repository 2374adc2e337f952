// A SuperScript worker: the workflows plus the activities that run registered scripts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities/index.js';
import type { ScriptRegistry } from '../config/scripts.js';
import { Runs } from '../runs/start-or-attach.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// index.ts when run from source (tests, tsx), index.js when run from the build.
const WORKFLOWS_PATH = ['index.ts', 'index.js']
  .map((file) => path.join(here, '..', 'workflows', file))
  .find((file) => existsSync(file))!;

let bundle: Promise<{ code: string }> | undefined;

/** The workflow bundle, built once per process (about 1 s) and shared by every worker in it. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

export interface WorkerParams {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  taskQueue: string;
  registry: ScriptRegistry;
  dataDir: string;
  /** How long a stopping worker lets running scripts finish before cancelling them. */
  shutdownGraceMs: number;
  /** Extra worker options, e.g. concurrency limits. */
  options?: Partial<WorkerOptions>;
}

export async function createWorker(p: WorkerParams): Promise<Worker> {
  return Worker.create({
    connection: p.connection,
    namespace: p.namespace,
    taskQueue: p.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(p.registry, new Runs(p.client), p.dataDir),
    shutdownGraceTime: p.shutdownGraceMs,
    // Cancellation reaches an activity with its heartbeat; a short throttle keeps `cancel` prompt.
    defaultHeartbeatThrottleInterval: '1 second',
    maxHeartbeatThrottleInterval: '1 second',
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
