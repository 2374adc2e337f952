// A batch: one child SinglePaymentCollectionWorkflow per order, under the same workflow ID a standalone
// request would use, so a batch never charges an order that was already charged alone (or by another batch).
import {
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  TerminatedFailure,
  WorkflowIdReusePolicy,
  defineQuery,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { RunActivities } from '../activities/types.js';
import {
  BATCH_PROGRESS_QUERY,
  PAYMENT_SCRIPT,
  WorkflowTypes,
  canonicalJson,
  paymentWorkflowId,
  runIdentity,
  type BatchProgress,
  type BatchResult,
  type OrchestratorInput,
  type OrderReport,
  type RunResult,
} from './contract.js';
import type { SinglePaymentCollectionWorkflow } from './payment.js';

export const batchProgressQuery = defineQuery<BatchProgress>(BATCH_PROGRESS_QUERY);

const DEFAULT_MAX_CONCURRENT = 50;

const { attachToRun } = proxyActivities<RunActivities>({
  // Attaching only reads: it is safe to retry, and it may wait as long as the run it attaches to.
  startToCloseTimeout: '25 hours',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

export async function OrchestratorWorkflow(input: OrchestratorInput): Promise<BatchResult> {
  const orders = uniqueOrders(input.orders);
  const reports: OrderReport[] = [];
  setHandler(batchProgressQuery, () => ({ total: orders.length, done: reports.length }));

  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < orders.length) {
      const order = orders[next++]!;
      reports.push(await collect(order, input));
    }
  };
  const lanes = Math.max(1, Math.min(input.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, orders.length));
  await Promise.all(Array.from({ length: lanes }, lane));

  const byId = new Map(reports.map((r) => [r.orderId, r]));
  const ordered = orders.map((o) => byId.get(o.orderId)!);
  return {
    batchId: input.batchId,
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    total: ordered.length,
    executed: ordered.filter((r) => r.disposition === 'executed').length,
    alreadyDone: ordered.filter((r) => r.disposition === 'already_done').length,
    succeeded: ordered.filter((r) => r.outcome === 'succeeded').length,
    failed: ordered.filter((r) => r.outcome !== 'succeeded').length,
    orders: ordered,
    request: canonicalJson({ script: PAYMENT_SCRIPT, args: { orders: input.orders } }),
  };
}

async function collect(
  order: OrchestratorInput['orders'][number],
  input: OrchestratorInput,
): Promise<OrderReport> {
  const workflowId = paymentWorkflowId(order.orderId);
  let child;
  try {
    child = await startChild<typeof SinglePaymentCollectionWorkflow>(WorkflowTypes.payment, {
      workflowId,
      args: [{ orderId: order.orderId, amount: order.amount, policy: input.policy }],
      // The same identity a standalone request records, so later requests compare against it.
      ...runIdentity({ script: PAYMENT_SCRIPT, args: { orderId: order.orderId, amount: order.amount } }),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // A payment in flight finishes even if its batch is terminated or cancelled: other requests may be
      // attached to it, and killing a payment midway would leave its outcome unknown.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Taken by a standalone request or another batch: not an error, report that run's result.
    const found = await attachToRun({
      workflowId,
      script: PAYMENT_SCRIPT,
      args: { orderId: order.orderId, amount: order.amount },
    });
    if (found.kind === 'conflict') {
      return {
        orderId: order.orderId,
        workflowId,
        disposition: 'conflict',
        outcome: 'conflict',
        message: found.message,
      };
    }
    if (found.kind === 'ended') {
      return {
        orderId: order.orderId,
        workflowId,
        disposition: 'already_done',
        runId: found.runId,
        outcome: found.outcome,
        message: found.message,
      };
    }
    return report(order.orderId, 'already_done', found.result);
  }
  try {
    return report(order.orderId, 'executed', await child.result());
  } catch (err) {
    if (!(err instanceof ChildWorkflowFailure)) throw err;
    const result = failedRunResult(err);
    if (result) return report(order.orderId, 'executed', result);
    // Cancelled or terminated from outside: report it; the batch goes on with the other orders.
    const outcome =
      err.cause instanceof CancelledFailure
        ? 'cancelled'
        : err.cause instanceof TerminatedFailure
          ? 'terminated'
          : 'outcome_unknown';
    return {
      orderId: order.orderId,
      workflowId,
      disposition: 'executed',
      runId: child.firstExecutionRunId,
      outcome,
      message: err.cause?.message ?? err.message,
    };
  }
}

function report(orderId: string, disposition: OrderReport['disposition'], result: RunResult): OrderReport {
  return {
    orderId,
    workflowId: result.workflowId,
    disposition,
    outcome: result.outcome,
    runId: result.runId,
    exitCode: result.exitCode,
  };
}

/** A child whose script failed carries its RunResult as failure details. */
function failedRunResult(err: ChildWorkflowFailure): RunResult | undefined {
  return err.cause instanceof ApplicationFailure
    ? (err.cause.details?.[0] as RunResult | undefined)
    : undefined;
}

function uniqueOrders(orders: OrchestratorInput['orders']): OrchestratorInput['orders'] {
  const seen = new Set<string>();
  return orders.filter((o) => !seen.has(o.orderId) && seen.add(o.orderId));
}
