// The original design's workflow: collect the payment for one order exactly once. Its workflow ID is
// `payment-<orderId>`; it is the generic script workflow applied to the registered payment script.
import { workflowInfo } from '@temporalio/workflow';
import { PAYMENT_SCRIPT, type PaymentInput } from '../shared/runs.js';
import { runScriptOnce } from './script-run.js';
import type { RunResult } from '../shared/schemas/runs.js';

export async function SinglePaymentCollectionWorkflow(input: PaymentInput): Promise<RunResult> {
  return runScriptOnce({
    script: PAYMENT_SCRIPT,
    args: { orderId: input.orderId, amount: input.amount },
    key: workflowInfo().workflowId,
    policy: input.policy,
    retryOf: input.retryOf,
    resolve: input.resolve,
  });
}
