// A stack of separate processes: `superscript worker` and `superscript api`, each a child process of this one,
// found ready when the worker polls its task queue and the API answers /healthz, and stopped in order (APIs,
// then workers, then the server). `cluster up` runs one, and so does the fault suite, which SIGKILLs single
// processes of it.
import path from 'node:path';
import { Client } from '@temporalio/client';
import { PACKAGE_ROOT } from '../config/settings.js';
import { connectClient } from '../config/temporal-connection.js';
import { ServiceStartError } from '../errors.js';
import { Daemon } from '../process/daemon.js';
import { stopAll, type StopStep } from './steps.js';
import type { Temporal } from './temporal.js';

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
  throw new ServiceStartError(`${service.name} ${service.pid} ${why}:\n${service.output()}`);
}

export interface ProcessStackSpec {
  /** Where Temporal is. The stack owns it: what this process started there stops last. */
  temporal: Temporal;
  taskQueue: string;
  /**
   * Every worker's and API's other settings (SUPERSCRIPT_DATA_DIR, SUPERSCRIPT_CONFIG, ...), on top of this
   * process's environment, of where Temporal is (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, and the key store its
   * server comes with) and of the task queue.
   */
  env: Record<string, string>;
  /** Node arguments that run the CLI. Default: bin/superscript.js (the build in dist/). */
  entry?: string[];
  /** A worker's scripts get this long to finish when it is stopped. */
  stopGraceMs: number;
  /** Each process's output goes to <logDir>/worker-<n>.log or api-<n>.log; without it, piped and its tail kept. */
  logDir?: string;
}

/** An API process and where it answers. */
export type ApiProcess = Daemon & { url: string };

export class ProcessStack {
  readonly workers: Daemon[] = [];
  readonly apis: ApiProcess[] = [];

  private constructor(
    private readonly spec: ProcessStackSpec,
    /** For finding workers ready; the caller may use it too. */
    readonly client: Client,
  ) {}

  static async open(spec: ProcessStackSpec): Promise<ProcessStack> {
    try {
      return new ProcessStack(spec, await connectClient(spec.temporal.target));
    } catch (err) {
      await spec.temporal.started?.stop();
      throw err;
    }
  }

  get temporal(): Temporal {
    return this.spec.temporal;
  }

  /** Starts `superscript worker` and resolves once it polls both its workflow and activity queues. */
  async startWorker(env: Record<string, string> = {}): Promise<Daemon> {
    const worker = this.spawn('worker', this.workers.length + 1, env);
    this.workers.push(worker);
    await untilWorkerPolls(worker, this.client, this.spec.taskQueue);
    return worker;
  }

  /** Starts `superscript api` on `port` of 127.0.0.1 and resolves once /healthz answers 200. */
  async startApi(port: number, env: Record<string, string> = {}): Promise<ApiProcess> {
    const api = Object.assign(
      this.spawn('api', this.apis.length + 1, {
        SUPERSCRIPT_API_HOST: '127.0.0.1',
        SUPERSCRIPT_API_PORT: String(port),
        ...env,
      }),
      { url: `http://127.0.0.1:${port}` },
    );
    this.apis.push(api);
    await untilApiAnswers(api, api.url);
    return api;
  }

  /** In stop order: the APIs, the workers (newest first each), the client, what was started on Temporal's side. */
  steps(): StopStep[] {
    const step = (name: string, service: Daemon) => ({ name, stop: () => service.stop().then(() => {}) });
    return [
      ...this.apis.map((api, i) => step(`api ${i + 1}`, api)).reverse(),
      ...this.workers.map((worker, i) => step(`worker ${i + 1}`, worker)).reverse(),
      { name: 'temporal client', stop: () => this.client.connection.close() },
      ...(this.spec.temporal.started ? [this.spec.temporal.started] : []),
    ];
  }

  stop(): Promise<void> {
    return stopAll(this.steps());
  }

  /** SIGKILLs every process at once (this process is exiting without the time to stop them). */
  killNow(): void {
    for (const service of [...this.apis, ...this.workers]) void service.kill();
    this.spec.temporal.started?.killNow();
  }

  private spawn(kind: ServiceKind, n: number, env: Record<string, string>): Daemon {
    const { target, keyStoreUrl } = this.spec.temporal;
    return spawnService({
      kind,
      entry: this.spec.entry,
      env: {
        TEMPORAL_ADDRESS: target.address,
        TEMPORAL_NAMESPACE: target.namespace,
        ...(keyStoreUrl ? { SUPERSCRIPT_KEY_STORE_URL: keyStoreUrl } : {}),
        SUPERSCRIPT_TASK_QUEUE: this.spec.taskQueue,
        ...this.spec.env,
        ...env,
      },
      logFile: this.spec.logDir && path.join(this.spec.logDir, `${kind}-${n}.log`),
      stopGraceMs: kind === 'worker' ? this.spec.stopGraceMs : 0,
    });
  }
}
