// R5's hostile workflow inputs: workflows started straight on Temporal, as anyone who reaches its gRPC port
// could, with inputs the API would never send. The worker must run each script at most as often as its own
// registry allows, and never for a refused one (counted in the scripts' executions logs and the ledger).
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RunFailureTypes, type PaymentInput, type ScriptRunInput } from '../../../src/shared/runs.js';
import { WorkflowTypes } from '../../../src/shared/workflow-types.js';
import type { Figures, Invariants } from '../scenario.js';
import type { Stack } from '../stack.js';

interface StartCase {
  name: string;
  workflowType: string;
  workflowId: string;
  input: ScriptRunInput | PaymentInput;
  /** The failure type the run must end with. */
  failsWith: string;
  /** How many times the script may run: the registry's word, not the input's. */
  allowedExecutions: number;
  /** Executions of the script this case could cause. */
  executions: () => number;
}

function startCases(stack: Stack, t: string): StartCase[] {
  const tellTag = (name: string) => `r5-${t}-${name}`;
  const tellRuns = (tag: string) => () => stack.lines(`executions-${tag}.log`).length;
  const charges =
    (...orders: string[]) =>
    () =>
      orders.reduce((n, o) => n + (stack.chargesByOrder().get(o) ?? 0), 0);
  const [orderA, orderB, orderC] = [`r5${t}A`, `r5${t}B`, `r5${t}C`];
  const sleeperTag = tellTag('sleeper');
  const script = (
    name: string,
    workflowId: string,
    input: ScriptRunInput,
    failsWith: string,
    allowed = 0,
  ) => ({
    name,
    workflowType: WorkflowTypes.script,
    workflowId,
    input,
    failsWith,
    allowedExecutions: allowed,
    executions: tellRuns(String(input.args.tag ?? sleeperTag)),
  });
  const tell = (name: string, code: number) => ({ tag: tellTag(name), seconds: 0, code });
  const attempts = tell('attempts', 3);
  const queue = tell('queue', 0);
  return [
    script(
      'failing script, policy.maximumAttempts 5',
      `tell-${attempts.tag}`,
      {
        script: 'tell',
        args: attempts,
        key: `tell-${attempts.tag}`,
        policy: { maximumAttempts: 5, initialRetryIntervalMs: 100 },
      },
      RunFailureTypes.failed,
      1,
    ),
    {
      name: `payment-A with orderId B`,
      workflowType: WorkflowTypes.payment,
      workflowId: `payment-${orderA}`,
      input: { orderId: orderB, amount: 5 },
      failsWith: RunFailureTypes.refused,
      allowedExecutions: 0,
      executions: charges(orderA, orderB),
    },
    script(
      'key differs from workflow ID',
      `r5-${t}-keyed`,
      { script: 'sleeper', args: { seconds: 0, tag: sleeperTag }, key: `r5-${t}-other` },
      RunFailureTypes.refused,
    ),
    script(
      'unregistered script',
      `r5-${t}-rm`,
      { script: 'rm', args: { path: sleeperTag }, key: `r5-${t}-rm` },
      RunFailureTypes.notRegistered,
    ),
    script(
      'arguments fail the schema',
      `r5-${t}-schema`,
      { script: 'sleeper', args: { seconds: 100_000, tag: sleeperTag }, key: `r5-${t}-schema` },
      RunFailureTypes.notRegistered,
    ),
    script(
      'leading-dash argument',
      `r5-${t}-dash`,
      { script: 'sleeper', args: { seconds: 0, tag: `-${sleeperTag}` }, key: `r5-${t}-dash` },
      RunFailureTypes.notRegistered,
    ),
    script(
      'activityTaskQueue at an exec queue nobody polls',
      `tell-${queue.tag}`,
      {
        script: 'tell',
        args: queue,
        key: `tell-${queue.tag}`,
        activityTaskQueue: `${stack.taskQueue}-exec-r5-nobody`,
        policy: { maximumAttempts: 1, scheduleToStartTimeoutMs: 3000 },
      },
      RunFailureTypes.failed,
    ),
    {
      name: 'resolve a key that never ran',
      workflowType: WorkflowTypes.payment,
      workflowId: `payment-${orderC}`,
      input: { orderId: orderC, amount: 5, resolve: { runId: 'never-ran', by: 'r5' } },
      // No resolve granted through SuperScript: verify does not run, and the run cannot tell.
      failsWith: RunFailureTypes.outcomeUnknown,
      allowedExecutions: 0,
      executions: charges(orderC),
    },
  ];
}

/** The failure type a run ended with ('succeeded' when it did not fail). */
async function endedWith(stack: Stack, workflowId: string): Promise<string> {
  try {
    await stack.client.workflow.getHandle(workflowId).result();
    return 'succeeded';
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : err;
    return cause instanceof ApplicationFailure ? String(cause.type) : (cause as Error).name;
  }
}

/** Starts every case straight on Temporal, waits for each run to end, and checks what it ran. */
export async function hostileStarts(
  stack: Stack,
  t: string,
  inv: Invariants,
  figures: Figures,
): Promise<void> {
  const cases = startCases(stack, t);
  const ledgerBefore = stack.ledger().length;
  const ended: Record<string, string> = {};
  const executions: Record<string, number> = {};
  await Promise.all(
    cases.map(async (c) => {
      await stack.client.workflow.start(c.workflowType, {
        taskQueue: stack.taskQueue,
        workflowId: c.workflowId,
        args: [c.input],
        workflowExecutionTimeout: '60s',
      });
      ended[c.name] = await endedWith(stack, c.workflowId);
    }),
  );
  for (const c of cases) {
    const ran = c.executions();
    executions[c.name] = ran;
    inv.check(
      ended[c.name] === c.failsWith,
      `start ${c.name}: ended ${ended[c.name]}, expected ${c.failsWith}`,
    );
    inv.check(
      ran <= c.allowedExecutions,
      `start ${c.name}: the script ran ${ran} times; the registry allows ${c.allowedExecutions}`,
    );
  }
  const attempts = executions[cases[0]!.name] ?? 0;
  // The one case that may run proves the executions are counted at all.
  inv.check(attempts === 1, `the failing script ran ${attempts} times, not once: are executions counted?`);
  Object.assign(figures, {
    startCases: cases.length,
    startsEndedAsExpected: cases.filter((c) => ended[c.name] === c.failsWith).length,
    startOutcomes: JSON.stringify(ended),
    startExecutions: JSON.stringify(executions),
    startLedgerLines: stack.ledger().length - ledgerBefore,
  });
  inv.check(stack.ledger().length === ledgerBefore, 'a hand-started workflow charged an order');
}
