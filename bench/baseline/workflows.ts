// The raw-SDK baseline workflow: one activity, at most once, with the timeouts SuperScript derives from the
// registry entry of collect-payment (timeoutSeconds 60 + killGraceSeconds 5 + 60 s backstop; heartbeat 10 s).
import { proxyActivities } from '@temporalio/workflow';
import type { RawActivities, RawOrder, RawOutput } from './activities.js';

const { collectPayment } = proxyActivities<RawActivities>({
  startToCloseTimeout: '125 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

export async function RawPaymentWorkflow(order: RawOrder): Promise<RawOutput> {
  return collectPayment(order);
}
