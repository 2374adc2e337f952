// SuperScript's own processes in a cluster: `superscript worker` and `superscript api`, each a child process
// of its own, found ready when the worker polls its task queue and the API answers /healthz.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PACKAGE_ROOT } from '../config/settings.js';
import { ClusterError } from '../errors.js';
import { Daemon } from '../process/daemon.js';

export type ServiceKind = 'worker' | 'api';

export interface ServiceSpec {
  kind: ServiceKind;
  /** Their settings: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, SUPERSCRIPT_*; on top of this process's. */
  env: Record<string, string>;
  /** Node arguments that run the CLI. Default: bin/superscript.js (the build in dist/). */
  entry?: string[];
  /** Without one, output is piped and its tail kept for errors. */
  logFile?: string;
  /** A worker's scripts get this long to finish when it is stopped (as SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS). */
  stopGraceMs: number;
}

const READY_TIMEOUT_MS = 60_000;

export function spawnService(spec: ServiceSpec): Daemon {
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  // A service started from inside `node --test` must not take itself for a test file.
  delete env.NODE_TEST_CONTEXT;
  return Daemon.spawn(spec.kind, {
    command: process.execPath,
    args: [...(spec.entry ?? [path.join(PACKAGE_ROOT, 'bin', 'superscript.js')]), spec.kind],
    env,
    cwd: PACKAGE_ROOT,
    logFile: spec.logFile,
    // The worker's own drain, plus time to close its connections.
    stopGraceMs: spec.stopGraceMs + 5000,
  });
}

/** Resolves once `worker` polls both the workflow and the activity side of `taskQueue`. */
export async function untilWorkerPolls(worker: Daemon, client: Client, taskQueue: string): Promise<void> {
  const identity = `${worker.pid}@`;
  const pollers = async (taskQueueType: number) => {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      // Proto enum values (the proto package is not a direct dependency): kind NORMAL = 1; type
      // WORKFLOW = 1, ACTIVITY = 2.
      taskQueue: { name: taskQueue, kind: 1 },
      taskQueueType,
    });
    return (res.pollers ?? []).some((p) => (p.identity ?? '').startsWith(identity));
  };
  await until(worker, `poll task queue ${taskQueue}`, async () => (await pollers(1)) && (await pollers(2)));
}

/** Resolves once the API at `url` answers GET /healthz with 200. */
export async function untilApiAnswers(api: Daemon, url: string): Promise<void> {
  await until(api, `answer on ${url}`, async () => {
    const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  });
}

async function until(service: Daemon, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (service.running && Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const why = service.running
    ? `did not ${what} within ${READY_TIMEOUT_MS / 1000} s`
    : 'exited during start-up';
  await service.kill();
  throw new ClusterError(`${service.name} ${service.pid} ${why}:\n${service.output()}`);
}
