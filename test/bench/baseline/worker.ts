// The raw-SDK baseline's worker and client calls: a plain Worker on a task queue of its own, in this process,
// and the client code a user would write by hand for each scenario.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Cleanup } from '../../support/cleanup.js';
import { createRawActivities, type RawOrder } from './activities.js';
import type { RawBatchResult, RawBatchWorkflow, RawPaymentWorkflow } from './workflows.js';

const WORKFLOWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows.ts');
const WORKFLOW_TYPE = 'RawPaymentWorkflow';

let bundle: Promise<{ code: string }> | undefined;

/** Bundled once per process and shared by both baseline workers. */
function rawBundle(): Promise<{ code: string }> {
  const quiet = {
    log: () => {},
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: console.error,
  };
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: quiet });
  return bundle;
}

export async function startRawWorker(
  address: string,
  namespace: string,
  taskQueue: string,
  scriptPath: string,
  dataDir: string,
  cleanup: Cleanup,
): Promise<void> {
  const connection = await NativeConnection.connect({ address });
  cleanup.add(`raw worker connection ${taskQueue}`, () => connection.close());
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: await rawBundle(),
    activities: createRawActivities(scriptPath, dataDir),
    // The same throttle SuperScript's worker uses (src/worker/worker.ts).
    defaultHeartbeatThrottleInterval: '1 second',
    maxHeartbeatThrottleInterval: '1 second',
  });
  const running = worker.run();
  cleanup.add(`raw worker ${taskQueue}`, async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
}

export class RawClient {
  private constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  static async connect(
    address: string,
    namespace: string,
    taskQueue: string,
    cleanup: Cleanup,
  ): Promise<RawClient> {
    const connection = await Connection.connect({ address });
    cleanup.add(`raw client ${taskQueue}`, () => connection.close());
    return new RawClient(new Client({ connection, namespace }), taskQueue);
  }

  /** Scenario 1 and 3: start and wait, defaults everywhere. */
  async execute(workflowId: string, order: RawOrder): Promise<void> {
    await this.client.workflow.execute<typeof RawPaymentWorkflow>(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [order],
    });
  }

  /** Scenario 2: the run exists and has ended; look it up and read its result, both at once. */
  async describeAndResult(workflowId: string): Promise<void> {
    const handle = this.client.workflow.getHandle(workflowId);
    await Promise.all([handle.describe(), handle.result()]);
  }

  /** Scenario 5: a batch, one child workflow per order, waiting for it across continue-as-new. */
  async executeBatch(workflowId: string, orders: RawOrder[], maxConcurrent: number): Promise<RawBatchResult> {
    return this.client.workflow.execute<typeof RawBatchWorkflow>('RawBatchWorkflow', {
      workflowId,
      taskQueue: this.taskQueue,
      args: [{ orders, maxConcurrent }],
    });
  }

  /** Scenario 4: start unless the key is taken, then wait for whichever run holds it. */
  async startOrAttach(workflowId: string, order: RawOrder): Promise<void> {
    try {
      const handle = await this.client.workflow.start<typeof RawPaymentWorkflow>(WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [order],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      await handle.result();
    } catch (err) {
      // REJECT_DUPLICATE refuses a key whose run has already closed: read that run's result instead.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      await this.client.workflow.getHandle(workflowId).result();
    }
  }
}
