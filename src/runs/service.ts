// The one front door to runs: what callers (the HTTP API's routes, `superscript exec`, tests) do with the runs
// of one installation (its Temporal client, task queue, key store and script registry), a verb each. It builds
// the start specs (requests.ts, batches/specs.ts), applies the registry's rules and owns the payment preset,
// so a route is parse, one call, reply. Each job lives in its own module; this class binds them to the
// installation.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { validateArgs, type ScriptRegistry, type ScriptSpec } from '../config/scripts.js';
import type { KeyStore } from '../keystore/store.js';
import { readNotifications } from '../notify/read.js';
import { scriptProcess } from '../process/launch.js';
import { outcomeOf, runProcess } from '../process/spawn.js';
import { batchWorkflowId } from '../shared/ids.js';
import { PAYMENT_SCRIPT } from '../shared/runs.js';
import type {
  BatchPlanReport,
  BatchProgress,
  BatchRequest,
  BatchSummary,
  BatchView,
  BatchesQuery,
  CancelBatchRequest,
  CancellingBatch,
  DecisionAction,
  DecisionView,
  OrderRequest,
  OrdersPage,
  OrdersQuery,
} from '../shared/schemas/batches.js';
import type { KeyReport } from '../shared/schemas/keys.js';
import type { NotificationsAnswer, NotificationsQuery } from '../shared/schemas/notifications.js';
import type { RetryRequest, RunRequest, RunsQuery, ScriptArgs } from '../shared/schemas/runs.js';
import type { ScriptView } from '../shared/schemas/scripts.js';
import type { CancellingRun, RunDetail, RunView } from '../shared/schemas/views.js';
import { listDecisions, readDecision, startDecision } from './batches/decisions.js';
import { planBatch } from './batches/plan.js';
import { cancelBatch, listBatchOrders, readBatch } from './batches/read.js';
import { DEFAULT_BATCH_SHAPE, batchPlan, checkBatch, type BatchShape } from './batches/specs.js';
import { startBatch } from './batches/start.js';
import { cancelRun } from './cancel.js';
import { keyReport } from './keys-report.js';
import { batchesQuery, keysQuery } from './list-query.js';
import { listRuns, listWorkflows, readRun, scriptOfRun, type RunSource } from './read.js';
import { execSpec, paymentScript, paymentSpec, keyedSpec, type ExecRequest } from './requests.js';
import { resolveRun } from './resolve.js';
import { retentionDays } from './retention.js';
import { retryExec, retryRun } from './retry.js';
import { startOrAttach, type KeySpec } from './start-or-attach.js';
import { temporalUiLink } from './temporal-link.js';
import type { StartOrAttach } from './view.js';

export interface RunServiceOptions {
  client: Client;
  /** The installation's task queue; its runs (and `exec` runs beside it) are the only ones it sees. */
  taskQueue: string;
  /** The installation's keys: which request each stands for, which run holds it, how it ended. */
  keys: KeyStore;
  /** The scripts that may run, their arguments and keys. */
  registry: ScriptRegistry;
  /**
   * A client on the NativeConnection of a worker in this process that polls `taskQueue` (`superscript dev`).
   * Starts on that queue then ask for eager workflow start: the run's first workflow task comes back with the
   * start's answer and goes straight to that worker, instead of through the server's task dispatch.
   */
  eagerStarter?: Client;
  /** How batches are cut into parts; tests make it small. Default: DEFAULT_BATCH_SHAPE. */
  batchShape?: BatchShape;
  /** Days after its run ends that the key store remembers a key; none: until pruned. */
  keyRetentionDays?: number;
  /** Temporal's Web UI, to link each run to its page there. */
  temporalUiUrl?: string;
}

/** How a caller asks for a run: who it is, how long it waits, and what ends its wait (never the run). */
export interface Call {
  /** Who asks (a token's name, `exec`), recorded when the request reserves the key. */
  by: string;
  waitMs: number;
  signal?: AbortSignal;
  /** Told the run's names once the request's key is known, before anything starts (for log lines). */
  named?: (run: { workflowId: string; request?: { script: string } }) => void;
}

export class RunService implements RunSource {
  readonly client: Client;
  readonly taskQueue: string;
  readonly keys: KeyStore;
  readonly registry: ScriptRegistry;
  readonly eagerStarter: Client | undefined;
  /** The script payments and batches run: the `run:` scope they need, and the label of their metrics. */
  readonly paymentScript = PAYMENT_SCRIPT;
  private readonly batchShape: BatchShape;
  private readonly keyRetentionDays: number | undefined;
  private readonly temporalUiUrl: string | undefined;

  constructor(options: RunServiceOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.keys = options.keys;
    this.registry = options.registry;
    this.eagerStarter = options.eagerStarter;
    this.batchShape = options.batchShape ?? DEFAULT_BATCH_SHAPE;
    this.keyRetentionDays = options.keyRetentionDays;
    this.temporalUiUrl = options.temporalUiUrl;
  }

  /** Collects a payment: the payment script, once per order (key `payment-<orderId>`). */
  pay(order: OrderRequest, call: Call): Promise<StartOrAttach> {
    return this.start(paymentSpec(this.registry, this.taskQueue, order), call);
  }

  /**
   * Runs a registered script under its key (or the key its template forms), once; a payment under its
   * order's key as the payment workflow, as pay, a batch's row and a retry start it.
   */
  run(request: RunRequest, call: Call): Promise<StartOrAttach> {
    return this.start(keyedSpec(this.registry, this.taskQueue, request), call);
  }

  /** Runs a key again explicitly (see retry.ts); who retried is the caller, never what the body says. */
  retry(workflowId: string, request: RetryRequest, call: Call): Promise<StartOrAttach> {
    const who = { by: call.by, reason: request?.reason, runId: request?.runId };
    return retryRun(this, this.registry, workflowId, who, call.waitMs, call.signal);
  }

  /** Asks an unknown run's verify command whether it did its work, and records the answer (resolve.ts). */
  resolve(workflowId: string, call: Call): Promise<StartOrAttach> {
    return resolveRun(this, this.registry, workflowId, call.by, call.waitMs, call.signal);
  }

  /**
   * `superscript exec`'s command under its key, to its end; with `retry`, a key whose last run did not
   * succeed runs again (retryExec).
   */
  exec(request: ExecRequest, retry: boolean): Promise<StartOrAttach> {
    const spec = execSpec(this.registry, this.taskQueue, request);
    return retry ? retryExec(this, spec) : startOrAttach(this, spec, Infinity, undefined, 'exec');
  }

  /**
   * The registry's payment script, which payments and batches run: the CLI reads its arguments from text
   * (and a batch file's orders) by it before it asks the API.
   */
  static paymentScript(registry: ScriptRegistry): ScriptSpec {
    return paymentScript(registry);
  }

  /**
   * The key a batch's row of `script` runs under, as a single request of it would (a batch file's check);
   * refused when its arguments or key are.
   */
  static rowKey(registry: ScriptRegistry, script: string, row: { args: ScriptArgs; key?: string }): string {
    // The key does not depend on the task queue: any names it.
    return keyedSpec(registry, '', { script, ...row }).workflowId;
  }

  /** The payment script run directly, with no key and no idempotency: the problem, for the demos. */
  async payDirectly(order: OrderRequest, dataDir: string) {
    const script = paymentScript(this.registry);
    const outcome = await runProcess(scriptProcess(script, validateArgs(script, order), dataDir));
    const { timedOut: _timedOut, cancelled: _cancelled, ...result } = outcome;
    return { idempotent: false as const, result: { ...result, outcome: outcomeOf(outcome) } };
  }

  /**
   * Starts (or attaches to) a batch of payments, or of any registered script's rows, every order or row
   * checked as its single request would be before anything starts.
   */
  async startBatch(request: BatchRequest, call: Call): Promise<StartOrAttach & { batchId: string }> {
    const batchId = request.batchId ?? randomUUID();
    const plan = batchPlan(this.registry, this.taskQueue, { ...request, batchId }, this.batchShape);
    call.named?.({ workflowId: plan.coordinator.workflowId, request: plan.coordinator.request });
    return { ...(await startBatch(this, plan, call.waitMs, call.signal)), batchId };
  }

  /**
   * What startBatch would do with these orders or rows, starting nothing; checked as startBatch checks them,
   * with every bad one listed (startBatch refuses the batch for the first).
   */
  planBatch(request: BatchRequest, signal?: AbortSignal): Promise<BatchPlanReport> {
    return planBatch(this, this.registry, checkBatch(this.registry, this.taskQueue, request, true), signal);
  }

  /** One run: what it is, how long its key and history are kept, where Temporal's UI shows it. */
  async read(workflowId: string): Promise<RunDetail> {
    const [run, historyDays] = await Promise.all([readRun(this, workflowId), retentionDays(this.client)]);
    const script = run.request?.script;
    return {
      ...run,
      dedupWindowDays: this.keyRetentionDays ?? null,
      historyDays,
      temporalUrl: temporalUiLink(this.temporalUiUrl, this.client.options.namespace, run),
      // Whether an unknown outcome can be resolved by asking the script's verify command.
      verifiable:
        script !== undefined &&
        this.registry.names().includes(script) &&
        Boolean(this.registry.get(script).verify),
    };
  }

  /** The script a run (or key) is for; undefined for one that records none. RunNotFoundError if unknown. */
  scriptOf(workflowId: string): Promise<string | undefined> {
    return scriptOfRun(this, workflowId);
  }

  /**
   * The registered scripts with the arguments they take and their key template, only `scripts` when given (a
   * token's scopes): what a client needs to make a request, never a path or an environment.
   */
  scripts(scripts?: readonly string[]): ScriptView[] {
    return this.registry
      .names()
      .filter((name) => scripts === undefined || scripts.includes(name))
      .map((name) => {
        const { description, args, key } = this.registry.get(name);
        return { name, description, args, key };
      });
  }

  /** Keys, each as its latest run, newest first; only runs of `scripts` when given (a token's scopes). */
  list(query: RunsQuery, scripts?: readonly string[]): Promise<RunView[]> {
    return listRuns(this, keysQuery(query, scripts));
  }

  /** Ends a run's script (cancel.ts). */
  async cancel(workflowId: string): Promise<CancellingRun> {
    return { ...(await cancelRun(this, workflowId)), status: 'cancelling' };
  }

  /** A batch's status and progress at any time. */
  async readBatch(batchId: string): Promise<BatchView> {
    const batch = await readBatch(this, batchId);
    return {
      ...batch,
      temporalUrl: temporalUiLink(this.temporalUiUrl, this.client.options.namespace, batch),
    };
  }

  /** A page of a batch's orders. */
  batchOrders(batchId: string, query: OrdersQuery): Promise<OrdersPage> {
    return listBatchOrders(this, batchId, query);
  }

  /**
   * Batches, newest first, through Temporal's visibility; only the batches of `scripts` when given (a caller
   * that may list only some scripts' runs).
   */
  async listBatches(query: BatchesQuery, scripts?: readonly string[]): Promise<BatchSummary[]> {
    if (scripts?.length === 0) return [];
    const prefix = batchWorkflowId('');
    const views = await listWorkflows(this, batchesQuery(query, this.taskQueue, scripts));
    return views.map(({ workflowId, runId, status, startedAt, closedAt, request, foreign }) => {
      const orders = request && 'orders' in request.args ? request.args.orders : undefined;
      return {
        batchId: workflowId.slice(prefix.length),
        workflowId,
        runId,
        status,
        startedAt,
        closedAt,
        orders: Number.isInteger(orders) ? (orders as number) : undefined,
        foreign,
      };
    });
  }

  /** A running batch's progress, if Temporal answers within `withinMs` (a worker must answer its query). */
  batchProgress(batchId: string, withinMs: number): Promise<BatchProgress | undefined> {
    return this.client.connection
      .withDeadline(Date.now() + withinMs, () => readBatch(this, batchId))
      .then((batch) => batch.progress)
      .catch(() => undefined);
  }

  /** Stops a batch from starting orders; `killRunning` also cancels the ones running. */
  async cancelBatch(batchId: string, request: CancelBatchRequest): Promise<CancellingBatch> {
    const batch = await cancelBatch(this, batchId, { killRunning: request?.killRunning ?? false });
    return { ...batch, status: 'cancelling' };
  }

  /**
   * A bulk decision on an ended batch: `retry` its failed orders or `resolve` its unknown ones, each as a
   * single run's retry or resolve on the caller's word (decide.ts). Asking twice attaches to the first.
   */
  decideBatch(batchId: string, action: DecisionAction, call: Pick<Call, 'by'>): Promise<DecisionView> {
    return startDecision(this, batchId, action, call.by);
  }

  /** The bulk decisions asked for on a batch, with their progress. */
  batchDecisions(batchId: string): Promise<DecisionView[]> {
    return listDecisions(this, batchId);
  }

  /** A bulk decision's status and progress. */
  readDecision(batchId: string, action: DecisionAction): Promise<DecisionView> {
    return readDecision(this, batchId, action);
  }

  /** A key as the key store keeps it, with its history (never a grant's token). */
  keyReport(key: string): Promise<KeyReport> {
    return keyReport(this, key, this.keyRetentionDays);
  }

  /** Removes the keys whose runs ended before `before` (a time in the past); how many. */
  pruneKeys(before: string): Promise<number> {
    return this.keys.prune(before);
  }

  /** The latest notifications to the config file's targets, delivered or not (see src/notify). */
  notifications(query: NotificationsQuery): Promise<NotificationsAnswer> {
    return readNotifications(this.keys, query);
  }

  /** Whether Temporal (asked within `withinMs`) and the key store answer: what went wrong with each, if anything. */
  async reachability(withinMs: number): Promise<{ temporal?: Error; keyStore?: Error }> {
    const { connection } = this.client;
    const [temporal, keyStore] = await Promise.all([
      failureOf(() =>
        connection.withDeadline(Date.now() + withinMs, () => connection.workflowService.getSystemInfo({})),
      ),
      failureOf(() => this.keys.ping()),
    ]);
    return { temporal, keyStore };
  }

  private start(spec: KeySpec, call: Call): Promise<StartOrAttach> {
    call.named?.(spec);
    return startOrAttach(this, spec, call.waitMs, call.signal, call.by);
  }
}

/** Undefined when `check` answers, else what went wrong. */
async function failureOf(check: () => Promise<unknown>): Promise<Error | undefined> {
  try {
    await check();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
