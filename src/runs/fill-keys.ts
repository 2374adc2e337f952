// Fills the key store from Temporal's records: on the first start after an upgrade (keys Temporal remembers
// from before the store existed) and after a restore of an older copy (keys that ran since the backup), so
// that no key Temporal still remembers looks new to a worker. Only adds what the store lacks, and settles
// what it holds as running when Temporal says the run has ended; run once, by one process (fill-state.ts).
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { fillOnce } from '../keystore/fill-state.js';
import { hasEnded } from '../keystore/record.js';
import { recordFromTemporal, settle } from '../keystore/transitions.js';
import { execTaskQueue } from '../shared/ids.js';
import { canonicalJson } from '../shared/runs.js';
import { WorkflowTypes } from '../shared/workflow-types.js';
import { awaitOutcome } from './outcome.js';
import { endedRunOf, type RunSource } from './read.js';
import { requestOf } from './stored.js';

/** Runs read from Temporal at once while filling. */
const PARALLEL_READS = 16;

/** Fills the store if it has not been filled yet; waits while another process does. */
export function ensureFilled(src: RunSource): Promise<void> {
  return fillOnce(src.keys, () => fillFromTemporal(src));
}

/** Copies every key Temporal knows that the store lacks; a summary of what it did. */
export async function fillFromTemporal(src: RunSource): Promise<string> {
  const types = [WorkflowTypes.script, WorkflowTypes.payment].map((t) => `'${t}'`).join(', ');
  // Task queue names are checked at start-up (settings.ts): letters, digits and . _ - only.
  const queues = [src.taskQueue, execTaskQueue(src.taskQueue)].map((q) => `'${q}'`).join(', ');
  const newest = new Map<string, WorkflowExecutionInfo>();
  for await (const info of src.client.workflow.list({
    query: `WorkflowType IN (${types}) AND TaskQueue IN (${queues})`,
  })) {
    const seen = newest.get(info.workflowId);
    if (!seen || seen.startTime < info.startTime) newest.set(info.workflowId, info);
  }
  const runs = [...newest.values()];
  let added = 0;
  let settled = 0;
  let next = 0;
  const reader = async () => {
    while (next < runs.length) {
      const outcome = await fillOne(src, runs[next++]!);
      if (outcome === 'added') added++;
      if (outcome === 'settled') settled++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, runs.length) }, reader));
  return JSON.stringify({ at: new Date().toISOString(), runs: runs.length, added, settled });
}

async function fillOne(src: RunSource, info: WorkflowExecutionInfo): Promise<'added' | 'settled' | 'kept'> {
  // A run SuperScript did not start (no memo, or one that does not parse) has no key to remember.
  const { request } = requestOf(info);
  if (!request) return 'kept';
  const key = info.workflowId;
  const open = info.status.name === 'RUNNING';
  const ended = open ? undefined : await awaitOutcome(src.client, key, info.runId, Infinity);
  const existing = await src.keys.get(key);
  if (existing) {
    if (!ended || hasEnded(existing.state) || existing.runId !== info.runId) return 'kept';
    await settle(src.keys, key, endedRunOf(ended));
    return 'settled';
  }
  const { record, event } = recordFromTemporal({
    key,
    script: request.script,
    request: canonicalJson(request),
    runId: info.runId,
    startedAt: info.startTime.toISOString(),
    ...(ended ? { ended: { ...endedRunOf(ended), at: (info.closeTime ?? new Date()).toISOString() } } : {}),
  });
  return (await src.keys.importOne(record, [event])) ? 'added' : 'kept';
}
