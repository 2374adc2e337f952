// Determinism: workflow histories replay against the current workflow code. The stored histories in
// test/fixtures/histories were recorded from real runs; a change that would break runs in flight fails here.
// Set RECORD_HISTORIES=1 to record them anew (only when a change is meant to be incompatible).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { paymentSpec, scriptRunSpec } from '../src/runs/requests.js';
import { batchPlan } from '../src/runs/batches/specs.js';
import type { BatchPlan } from '../src/runs/batches/specs.js';
import type { KeySpec } from '../src/runs/start-or-attach.js';
import { workflowBundle } from '../src/worker/worker.js';
import { startBatch } from '../src/runs/batches/start.js';
import { startOrAttach } from '../src/runs/start-or-attach.js';
import { startStack, type Stack } from './support/harness.js';
import { FIXTURES } from './support/paths.js';

const DIR = path.join(FIXTURES, 'histories');
let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack.stop());

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

async function historyOf(spec: KeySpec) {
  await startOrAttach(stack.runs, spec, Infinity);
  return stack.client.workflow.getHandle(spec.workflowId).fetchHistory();
}

/** The histories of a batch's coordinator (its last run) and of its first part. */
async function batchHistories(plan: BatchPlan) {
  await startBatch(stack.runs, plan, Infinity);
  const history = (id: string) => stack.client.workflow.getHandle(id).fetchHistory();
  return [await history(plan.coordinator.workflowId), await history(plan.parts[0]!.workflowId)] as const;
}

test('fresh histories of every workflow and outcome replay without nondeterminism', async () => {
  const charged = `rp-${uid()}`;
  const [coordinator, part] = await batchHistories(
    batchPlan(stack.registry, stack.taskQueue, {
      batchId: `rp-${uid()}`,
      orders: [
        { orderId: charged, amount: 1 },
        { orderId: `rp-n-${uid()}`, amount: 1 },
        { orderId: `rp-m-${uid()}`, amount: 2 },
      ],
    }),
  );
  const histories = {
    'payment-succeeded': await historyOf(
      paymentSpec(stack.registry, stack.taskQueue, { orderId: charged, amount: 1 }),
    ),
    'script-failed': await historyOf(
      scriptRunSpec(stack.registry, stack.taskQueue, {
        script: 'exit-with',
        args: { code: 2 },
        key: `rp-f-${uid()}`,
      }),
    ),
    'script-capped': await historyOf(
      scriptRunSpec(stack.registry, stack.taskQueue, {
        script: 'capped',
        args: { group: `rp-${uid()}`.toLowerCase(), n: 1, seconds: 0 },
      }),
    ),
    'batch-coordinator': coordinator,
    'batch-part': part,
  };
  for (const [name, history] of Object.entries(histories)) {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, name);
    if (process.env.RECORD_HISTORIES) writeFileSync(path.join(DIR, `${name}.json`), historyToJSON(history));
  }
});

test('stored histories from earlier versions still replay', async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 5, 'the recorded histories are present');
  for (const file of files) {
    const history = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
  }
});
