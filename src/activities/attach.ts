// Lets a batch attach an order to the run another request started under the same workflow ID.
import { Context } from '@temporalio/activity';
import { KeyConflictError } from '../errors.js';
import { assertSameRequest } from '../runs/fingerprint.js';
import type { Runs } from '../runs/runs.js';
import type { AttachInput, AttachOutcome, Outcome, RunResult } from '../workflows/contract.js';

export function createAttachToRun(runs: Runs) {
  return async function attachToRun(input: AttachInput): Promise<AttachOutcome> {
    const ctx = Context.current();
    const existing = await runs.describe(input.workflowId);
    try {
      assertSameRequest(
        { workflowId: input.workflowId, request: { script: input.script, args: input.args } },
        existing,
      );
    } catch (err) {
      if (err instanceof KeyConflictError) return { kind: 'conflict', message: err.message };
      throw err;
    }
    const beat = setInterval(() => ctx.heartbeat(), 5000);
    try {
      const view = await runs.outcome(input.workflowId, existing.runId, Infinity, ctx.cancellationSignal);
      const result = view.result as RunResult | undefined;
      if (result && 'outcome' in result) return { kind: 'result', runId: view.runId, result };
      return {
        kind: 'ended',
        runId: view.runId,
        outcome: view.status as Outcome,
        message: view.message ?? view.status,
      };
    } finally {
      clearInterval(beat);
    }
  };
}
