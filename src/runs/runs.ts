// The runs of one SuperScript installation (its Temporal client, task queue and key store) and what callers
// do with them. Each job lives in its own module; this class only binds them to the installation.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { ScriptRegistry } from '../config/scripts.js';
import type { KeyStore } from '../keystore/store.js';
import type { CancelBatch } from '../shared/batches.js';
import { cancelBatch, listBatchOrders, readBatch } from './batch-read.js';
import { cancelRun } from './cancel.js';
import type { KeyFilter } from '../keystore/record.js';
import type { ListQuery } from './list-query.js';
import { awaitOutcome } from './outcome.js';
import { planBatch } from './batch-plan.js';
import { describeRun, listRuns, listWorkflows, readRun, scriptOfRun, type RunSource } from './read.js';
import type { BatchPlan } from './requests.js';
import { startBatch } from './batch-start.js';
import { startOrAttach, type KeySpec } from './start-or-attach.js';
import type { StartOrAttach } from './view.js';
import type { BatchOrder } from '../shared/schemas/batches.js';
import type { BatchPlanReport, BatchView, OrdersPage, OrdersQuery } from '../shared/schemas/batches.js';
import type { RunView } from '../shared/schemas/views.js';

export interface RunsOptions {
  /**
   * A client on the NativeConnection of a worker in this process that polls `taskQueue` (`superscript dev`).
   * Starts on that queue then ask for eager workflow start: the run's first workflow task comes back with the
   * start's answer and goes straight to that worker, instead of through the server's task dispatch.
   */
  eagerStarter?: Client;
}

export class Runs implements RunSource {
  readonly eagerStarter: Client | undefined;

  constructor(
    readonly client: Client,
    /** The installation's task queue; its runs (and `exec` runs beside it) are the only ones it sees. */
    readonly taskQueue: string,
    /** The installation's keys: which request each stands for, which run holds it, how it ended. */
    readonly keys: KeyStore,
    options: RunsOptions = {},
  ) {
    this.eagerStarter = options.eagerStarter;
  }

  /** See {@link startOrAttach}. */
  startOrAttach(spec: KeySpec, waitMs: number, signal?: AbortSignal, by?: string): Promise<StartOrAttach> {
    return startOrAttach(this, spec, waitMs, signal, by);
  }

  /** See {@link awaitOutcome}. */
  outcome(
    workflowId: string,
    runId: string | undefined,
    waitMs: number,
    cancel?: AbortSignal,
  ): Promise<RunView> {
    return awaitOutcome(this.client, workflowId, runId, waitMs, cancel);
  }

  /** The latest run under a workflow ID in Temporal, if it is one of ours; RunNotFoundError otherwise. */
  describe(workflowId: string): Promise<WorkflowExecutionDescription> {
    return describeRun(this, workflowId);
  }

  read(workflowId: string): Promise<RunView> {
    return readRun(this, workflowId);
  }

  /** The script a run (or key) is for; undefined for one that records none. RunNotFoundError if unknown. */
  scriptOf(workflowId: string): Promise<string | undefined> {
    return scriptOfRun(this, workflowId);
  }

  /** Keys, each as its latest run. */
  list(filter: KeyFilter): Promise<RunView[]> {
    return listRuns(this, filter);
  }

  /** Batches, through Temporal's visibility. */
  listBatches(query: ListQuery): Promise<RunView[]> {
    return listWorkflows(this, query);
  }

  cancel(workflowId: string): Promise<RunView> {
    return cancelRun(this, workflowId);
  }

  /** See {@link startBatch}. */
  startBatch(plan: BatchPlan, waitMs: number, signal?: AbortSignal): Promise<StartOrAttach> {
    return startBatch(this, plan, waitMs, signal);
  }

  readBatch(batchId: string): Promise<BatchView> {
    return readBatch(this, batchId);
  }

  batchOrders(batchId: string, q: OrdersQuery): Promise<OrdersPage> {
    return listBatchOrders(this, batchId, q);
  }

  cancelBatch(batchId: string, req: CancelBatch): Promise<BatchView> {
    return cancelBatch(this, batchId, req);
  }

  /** See {@link planBatch}. */
  planBatch(
    registry: ScriptRegistry,
    orders: readonly BatchOrder[],
    signal?: AbortSignal,
  ): Promise<BatchPlanReport> {
    return planBatch(this, registry, orders, signal);
  }
}
