// The activities a SuperScript worker hosts: on its task queue, and on the batch task queue beside it.
import type { ScriptRegistry } from '../config/scripts.js';
import type { KeyGuard } from '../keystore/guard.js';
import { batchNotice } from '../notify/events.js';
import type { RunSource } from '../runs/read.js';
import { createAwaitBatchPart } from '../runs/batches/await-part.js';
import { createCollectOrder } from '../runs/batches/collect-order.js';
import { createDecisionActivities } from '../runs/batches/decide.js';
import { createRunScript } from './run-script.js';
import { createSemaphoreActivities } from './semaphore.js';
import type { BatchActivities, RunActivities, SemaphoreActivities } from './types.js';
import { createVerifyScript } from './verify.js';

export function createActivities(
  registry: ScriptRegistry,
  runs: RunSource,
  dataDir: string,
  keys: KeyGuard,
): Omit<RunActivities, 'runCommand'> & SemaphoreActivities {
  return {
    runScript: createRunScript(registry, dataDir, runs, keys),
    verifyScript: createVerifyScript(registry, dataDir, keys),
    ...createSemaphoreActivities(runs, registry),
  };
}

export function createBatchActivities(registry: ScriptRegistry, runs: RunSource): BatchActivities {
  return {
    collectOrder: createCollectOrder(runs, registry),
    awaitBatchPart: createAwaitBatchPart(runs),
    noteBatchFinished: async (result) => runs.keys.addNotices([batchNotice(runs.keys.scope, result)]),
    ...createDecisionActivities(runs, registry),
  };
}
