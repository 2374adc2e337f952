// The per-script semaphore's activities (see src/workflows/semaphore.ts), and the check that a capped
// script's run holds a permit before it runs.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ScriptRegistry, ScriptSpec } from '../config/scripts.js';
import type { RunSource } from '../runs/read.js';
import { storedAnswer } from '../runs/stored.js';
import { semaphoreWorkflowId } from '../shared/ids.js';
import { RunFailureTypes } from '../shared/runs.js';
import {
  SEMAPHORE_HOLDERS_QUERY,
  SemaphoreSignals,
  type AcquirePermit,
  type SemaphoreInput,
} from '../shared/semaphore.js';
import { WorkflowTypes } from '../shared/workflow-types.js';
import type { SemaphoreActivities } from './types.js';
import type { PermitHolder } from '../shared/schemas/semaphore.js';

export function createSemaphoreActivities(runs: RunSource, registry: ScriptRegistry): SemaphoreActivities {
  return {
    async requestPermit({ script, workflowId, runId }) {
      // The cap is the worker's registry's. Uncapped (or unknown, which runScript then refuses): no permit.
      const permits = registry.names().includes(script) ? registry.get(script).maxConcurrent : undefined;
      if (!permits) return false;
      const start: SemaphoreInput = { script, permits };
      const request: AcquirePermit = { workflowId, runId, permits };
      await runs.client.workflow.signalWithStart(WorkflowTypes.semaphore, {
        workflowId: semaphoreWorkflowId(script, runs.taskQueue),
        taskQueue: runs.taskQueue,
        args: [start],
        signal: SemaphoreSignals.acquire,
        signalArgs: [request],
      });
      return true;
    },

    async endedRuns(holders) {
      const ended = await Promise.all(
        holders.map(async (h) => {
          try {
            const d = await runs.client.workflow.getHandle(h.workflowId, h.runId).describe();
            return d.status.name === 'RUNNING' ? undefined : h;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return h;
            throw err;
          }
        }),
      );
      return ended.filter((h): h is PermitHolder => h !== undefined);
    },
  };
}

/**
 * Refuses to run a capped script for a run that holds none of its permits (a workflow started by hand
 * without the cap), so the cap holds whatever a workflow's input says.
 */
export async function assertHoldsPermit(
  runs: RunSource,
  spec: ScriptSpec,
  holder: PermitHolder,
): Promise<void> {
  if (!spec.maxConcurrent) return;
  // The heartbeat timeout runs from the activity's start: keep beating while the semaphore answers.
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), 500);
  let holders: PermitHolder[];
  try {
    const answer = await runs.client.workflow
      .getHandle(semaphoreWorkflowId(spec.name, runs.taskQueue))
      .query<unknown>(SEMAPHORE_HOLDERS_QUERY);
    // An answer that is not a list of holders (not our semaphore) grants no permit.
    holders = storedAnswer.permitHolders(answer) ?? [];
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) {
      // The script did not run: a definite failure, which an explicit retry can safely run again.
      throw ApplicationFailure.create({
        type: RunFailureTypes.failed,
        message: `Could not confirm this run's permit with the semaphore of "${spec.name}" (${(err as Error).message}); the script did not run. Retry it.`,
        nonRetryable: true,
      });
    }
    holders = [];
  } finally {
    clearInterval(beat);
  }
  if (holders.some((h) => h.workflowId === holder.workflowId && h.runId === holder.runId)) return;
  throw ApplicationFailure.create({
    type: RunFailureTypes.notRegistered,
    message: `Script "${spec.name}" runs at most ${spec.maxConcurrent} at once and this run holds no permit; start it through SuperScript, which takes one.`,
    nonRetryable: true,
  });
}
