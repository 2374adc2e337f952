// The raw-SDK baseline's activity: what a user writing this by hand would do. It spawns the same
// collect-payment.sh with the same arguments and environment SuperScript gives it, captures the output, and
// heartbeats on the same schedule, but has none of SuperScript's process-group, reaper or output capping.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Context } from '@temporalio/activity';

const run = promisify(execFile);

export interface RawOrder {
  orderId: string;
  amount: number;
}

export interface RawOutput {
  stdout: string;
  stderr: string;
}

export function createRawActivities(scriptPath: string, dataDir: string) {
  return {
    async collectPayment(order: RawOrder): Promise<RawOutput> {
      const ctx = Context.current();
      const { attempt } = ctx.info;
      // Undefined only for standalone activities, which this is not.
      const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
      const runId = ctx.info.workflowExecution?.runId ?? '';
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        return await run(scriptPath, [order.orderId, String(order.amount)], {
          cwd: dataDir,
          // The environment SuperScript builds for this script (see src/process/launch.ts).
          env: {
            PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
            HOME: process.env.HOME ?? '/',
            LANG: 'C.UTF-8',
            ...(process.env.PAYMENT_DELAY_SECONDS !== undefined
              ? { PAYMENT_DELAY_SECONDS: process.env.PAYMENT_DELAY_SECONDS }
              : {}),
            SUPERSCRIPT_SCRIPT: 'collect-payment',
            SUPERSCRIPT_DATA_DIR: dataDir,
            SUPERSCRIPT_KEY: workflowId,
            SUPERSCRIPT_WORKFLOW_ID: workflowId,
            SUPERSCRIPT_RUN_ID: runId,
            SUPERSCRIPT_ATTEMPT: String(attempt),
          },
          maxBuffer: 256 * 1024,
          timeout: 60_000,
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type RawActivities = ReturnType<typeof createRawActivities>;
