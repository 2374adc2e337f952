// R9: a key's history deleted from Temporal (`temporal workflow delete`, as retention would in time), then the
// same request, a changed one, and a run started by hand for it. The key store still knows the key: the same
// request gets the original result byte for byte, a changed one 422, and nothing runs again (the ledger and
// the script's executions log say so).
import { spawnSync } from 'node:child_process';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { eventually } from '../../support/poll.js';
import { paymentWorkflowId } from '../../../src/shared/ids.js';
import { WorkflowTypes } from '../../../src/shared/workflow-types.js';
import { ApiClient, ApiError } from '../../../src/shared/api-client.js';
import type { RunAnswer } from '../../../src/shared/schemas/views.js';
import { runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { Stack } from '../stack.js';
import { FIXTURE_REGISTRY } from '../../support/paths.js';

export function historyDeleted(ctx: ScenarioContext, p = { payments: 5 }): Promise<ScenarioResult> {
  return runScenario(
    'R9',
    `${p.payments} payments and a script run deleted from Temporal's history`,
    async (inv, figures) => {
      const stack = await Stack.open({
        server: ctx.topology.server,
        name: 'r9',
        registryFile: FIXTURE_REGISTRY,
        cli: ctx.cli,
      });
      try {
        const api = await stack.startApi();
        await stack.startWorkers(ctx.topology.workers);
        const t = runTag();
        const client = new ApiClient({ baseUrl: api.url });
        const orders = Array.from({ length: p.payments }, (_, i) => ({
          orderId: `r9${t}${i}`,
          amount: 10 + i,
        }));
        const tag = `r9-${t}`;
        const script = { script: 'tell', args: { tag, seconds: 0, code: 0 } };
        const first = new Map<string, RunAnswer>();
        for (const o of orders) first.set(o.orderId, (await client.pay(o)).body);
        const ran = (await client.run(script)).body;
        const keys = [...orders.map((o) => paymentWorkflowId(o.orderId)), `tell-${tag}`];

        for (const key of keys) {
          const del = spawnSync(
            ctx.topology.temporalCli,
            [
              'workflow',
              'delete',
              '--workflow-id',
              key,
              '--address',
              stack.address,
              '--namespace',
              ctx.topology.server.namespace,
            ],
            { encoding: 'utf8' },
          );
          inv.check(del.status === 0, `temporal workflow delete ${key}: ${del.stderr}`);
        }
        await eventually(
          'Temporal to forget every run',
          async () =>
            (await stack.countWorkflows(`WorkflowId IN (${keys.map((k) => `'${k}'`).join(', ')})`)) === 0
              ? true
              : undefined,
          60_000,
          250,
        );

        const ledgerBefore = stack.ledger().length;
        let replayed = 0;
        let sameResult = 0;
        let conflicts = 0;
        for (const o of orders) {
          const again = await client.pay(o);
          const was = first.get(o.orderId)!;
          const now = again.body;
          if (again.status === 200 && now.replayed) replayed++;
          if (JSON.stringify(now.result) === JSON.stringify(was.result) && now.runId === was.runId)
            sameResult++;
          const refused = await client.pay({ ...o, amount: o.amount + 1 }).then(
            () => undefined,
            (err: unknown) => (err instanceof ApiError ? err.status : undefined),
          );
          if (refused === 422) conflicts++;
        }
        const scriptAgain = await client.run(script);
        const sameScript =
          scriptAgain.status === 200 &&
          JSON.stringify(scriptAgain.body.result) === JSON.stringify(ran.result);

        // Started by hand for a forgotten key: refused where the script would run.
        const o = orders[0]!;
        const handle = await stack.client.workflow.start(WorkflowTypes.payment, {
          taskQueue: stack.taskQueue,
          workflowId: paymentWorkflowId(o.orderId),
          args: [o],
        });
        const hand = await handle.result().then(
          () => 'completed',
          (err: unknown) => {
            const cause = err instanceof WorkflowFailedError ? err.cause : err;
            return cause instanceof ApplicationFailure ? String(cause.type) : String(err);
          },
        );

        inv.check(replayed === orders.length, `${replayed} of ${orders.length} same requests replayed`);
        inv.check(
          sameResult === orders.length,
          `${sameResult} of ${orders.length} replays carried the original result`,
        );
        inv.check(conflicts === orders.length, `${conflicts} of ${orders.length} changed requests got 422`);
        inv.check(sameScript, `the script run's request got ${scriptAgain.status}, not its original result`);
        inv.check(hand === 'RunRefused', `a hand-started run for a deleted key ended ${hand}`);
        inv.check(
          stack.ledger().length === ledgerBefore,
          `the ledger grew from ${ledgerBefore} to ${stack.ledger().length}`,
        );
        inv.check(ledgerBefore === orders.length, `${ledgerBefore} charges for ${orders.length} orders`);
        const executions = stack.lines(`executions-${tag}.log`).length;
        inv.check(executions === 1, `the script ran ${executions} times`);
        Object.assign(figures, {
          keysDeleted: keys.length,
          replayed,
          sameResult,
          conflicts422: conflicts,
          handStartedRun: hand,
          ledgerLines: stack.ledger().length,
          scriptExecutions: executions,
        });
      } finally {
        await stack.stop();
      }
    },
  );
}
