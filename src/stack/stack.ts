// A stack in one process: on a Temporal target, the installation's key store (opened and filled), workers and
// the HTTP API, and their orderly stop: API, then workers, then key store, then server. `superscript dev`,
// `worker` and `api` run one; so do the tests' harness and the bench. (Stacks of separate processes, as
// `cluster up` and the fault suite run them, are in processes.ts.)
import { Client } from '@temporalio/client';
import { connectClient } from '../config/temporal-connection.js';
import type { KeyStore } from '../keystore/store.js';
import { RunService, type RunServiceOptions } from '../runs/service.js';
import { serveApi, type ApiSpec, type ServedApi } from './api.js';
import type { StackContext } from './context.js';
import { announceEmbedded, openKeys } from './key-store.js';
import { stopAll, type StopStep } from './steps.js';
import type { Temporal } from './temporal.js';
import { serveWorker, serveWorkerMetrics, type ServedWorker } from './worker.js';

export interface StackSpec {
  /** Where Temporal is. The stack owns it: what this process started there stops last. */
  temporal: Temporal;
  /** Workers in this process. Default: 1; more join with addWorker(). */
  workers?: number;
  /** A worker that fails on its own (not by our stop): the CLI stops the whole process in order. */
  onWorkerFailure?: (err: unknown) => void;
  /** The workers' own GET /metrics on this port (`superscript worker`): served first, stopped last. */
  metricsPort?: number;
  /** Serve the HTTP API. */
  api?: ApiSpec;
  /**
   * Start runs with eager workflow start through the first worker's connection (`superscript dev`): the
   * server hands the first workflow task straight to that worker.
   */
  eager?: boolean;
  /** How batches are cut into parts (tests make them small). Default: DEFAULT_BATCH_SHAPE. */
  batchShape?: RunServiceOptions['batchShape'];
  /** How often workers read the schedules' skipped and missed fires (tests shorten it). Default: 15 s. */
  scheduleWatchMs?: number;
  /** Temporal's Web UI when SUPERSCRIPT_TEMPORAL_UI_URL does not name one (the dev server's own). */
  temporalUiUrl?: string;
}

export interface Stack {
  readonly temporal: Temporal;
  /** The stack's Temporal client, which its workers and API share. */
  readonly client: Client;
  readonly keys: KeyStore;
  /** The front door to the installation's runs, which the API's routes call. */
  readonly runs: RunService;
  readonly api?: ServedApi;
  /** The workers' GET /metrics, with `metricsPort`. */
  readonly metricsUrl?: string;
  /** Another worker on the same task queue and key store (e.g. to take over from one that was stopped). */
  addWorker(): Promise<ServedWorker>;
  /** What the stack started, in stop order (for stopOnSignals, which names each as it stops). */
  steps(): StopStep[];
  /** Stops everything in order, even past a step that fails; then throws that step's error. */
  stop(): Promise<void>;
  /** Kills what this process started on Temporal's side at once (it is exiting without the time to stop it). */
  killNow(): void;
}

export async function startStack(ctx: StackContext, spec: StackSpec): Promise<Stack> {
  const { temporal } = spec;
  // In start order, stopped in reverse. Workers and the API have lists of their own, so that a worker
  // added later still stops after the API and before the key store.
  const base: StopStep[] = temporal.started ? [temporal.started] : [];
  const workers: ServedWorker[] = [];
  let api: ServedApi | undefined;
  const steps = () => [...(api ? [api] : []), ...[...workers].reverse(), ...[...base].reverse()];
  try {
    // Metrics first, so a port in use fails before the worker takes any run; stopped last, so a scrape still
    // sees the worker drain.
    const metrics =
      spec.metricsPort === undefined ? undefined : await serveWorkerMetrics(ctx, spec.metricsPort);
    if (metrics) base.unshift(metrics);
    const client = await connectClient(temporal.target);
    base.push({ name: 'temporal client', stop: () => client.connection.close() });
    const keys = await openKeys(ctx, temporal, client);
    base.push({ name: 'key store', stop: () => keys.close() });
    if (temporal.embedded) {
      // Processes beside this one (`exec`, a `superscript worker`) may use its key store, while it runs.
      const withdraw = announceEmbedded(ctx.settings.dataDir, temporal.target.address);
      base.push({ name: 'embedded marker', stop: async () => withdraw() });
    }
    const addWorker = async () => {
      const worker = await serveWorker(ctx, {
        target: temporal.target,
        client,
        keys,
        onFailure: spec.onWorkerFailure,
        scheduleWatchMs: spec.scheduleWatchMs,
      });
      workers.push(worker);
      return worker;
    };
    for (let i = 0; i < (spec.workers ?? 1); i++) await addWorker();
    const eagerStarter =
      spec.eager && workers[0]
        ? new Client({ connection: workers[0].connection, namespace: temporal.target.namespace })
        : undefined;
    const runs = new RunService({
      client,
      taskQueue: ctx.settings.taskQueue,
      keys,
      registry: ctx.registry,
      eagerStarter,
      batchShape: spec.batchShape,
      keyRetentionDays: ctx.settings.keyRetentionDays,
      temporalUiUrl: ctx.settings.temporalUiUrl ?? spec.temporalUiUrl,
    });
    if (spec.api) api = await serveApi(ctx, runs, spec.api);
    return {
      temporal,
      client,
      keys,
      runs,
      api,
      metricsUrl: metrics?.url,
      addWorker,
      steps,
      stop: () => stopAll(steps()),
      killNow: () => temporal.started?.killNow(),
    };
  } catch (err) {
    // No orphaned server holding ports and files after a failed start.
    await stopAll(steps()).catch(() => {});
    throw err;
  }
}
