// R4: two workers share a task queue; one is SIGKILLed mid-batch, while it runs scripts. The batch finishes
// on the survivor; no order is charged twice; orders whose script died end outcome_unknown, not re-run.
import { eventually, sleep } from '../http.js';
import { findProcesses, processTable, stillRunning } from '../procs.js';
import { runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { FIXTURE_REGISTRY, Stack } from '../stack.js';
import { awaitBatch, judgeBatch, startBatch } from './batch.js';

export interface ScaleOutParams {
  orders: number;
  maxConcurrent: number;
  /** Kill once this share of the orders is charged and a worker runs this many scripts at once. */
  killAtFraction: number;
  minInFlight: number;
}

export function scaleOut(
  ctx: ScenarioContext,
  p: ScaleOutParams = { orders: 120, maxConcurrent: 20, killAtFraction: 0.25, minInFlight: 3 },
): Promise<ScenarioResult> {
  return runScenario(
    'R4',
    `scale-out: 2 workers, one SIGKILLed mid-batch of ${p.orders}`,
    async (inv, figures) => {
      // A 1.5 s charge keeps several scripts in flight on each worker at any moment.
      const stack = await Stack.open({
        address: ctx.address,
        name: 'r4',
        registryFile: FIXTURE_REGISTRY,
        cli: ctx.cli,
        env: { PAYMENT_DELAY_SECONDS: '1.5' },
      });
      try {
        const workers = await Promise.all([stack.startWorker(), stack.startWorker()]);
        const api = await stack.startApi();
        const t = runTag();
        const batchId = `r4-${t}`;
        const orders = Array.from({ length: p.orders }, (_, i) => ({
          orderId: `r4-${t}-${i}`,
          amount: 1 + i,
        }));
        const scriptsOf = (pid: number) =>
          processTable().filter(
            (proc) => proc.ppid === pid && proc.argv.some((a) => a.endsWith('collect-payment.sh')),
          );

        const started = Date.now();
        await startBatch(api.url, batchId, orders, p.maxConcurrent);
        // Kill the busier worker once enough is charged and it has scripts mid-way.
        const victim = await eventually(
          'a worker with scripts in flight, past the kill point',
          () => {
            const charged = stack.ledger().length;
            if (charged < p.orders * p.killAtFraction) return undefined;
            const [a = 0, b = 0] = workers.map((w) => scriptsOf(w.pid).length);
            // Past half the batch, settle for any script in flight rather than miss the chance.
            const need = charged < p.orders / 2 ? p.minInFlight : 1;
            if (Math.max(a, b) < need) return undefined;
            return a >= b ? workers[0]! : workers[1]!;
          },
          120_000,
          20,
        );
        const inFlight = scriptsOf(victim.pid);
        const reapers = processTable()
          .filter((proc) => proc.ppid === victim.pid && proc.argv.includes('superscript-reaper'))
          .map((proc) => proc.pid);
        const ledgerAtKill = stack.ledger().length;
        const killedAt = Date.now();
        await victim.kill();
        const survivor = workers.find((w) => w !== victim)!;

        const view = await awaitBatch(api.url, batchId, 240_000);
        const batchMs = Date.now() - started;
        // Nothing of this batch may still be running anywhere: the victim's scripts were reaped.
        await sleep(1000);
        const leftOver = findProcesses('collect-payment.sh', `r4-${t}-`);
        const reapersLeft = reapers.filter((pid) => stillRunning(pid, 'superscript-reaper'));
        const killedOrders = inFlight.map((proc) => proc.argv[proc.argv.length - 2] ?? '?');

        const charges = await judgeBatch(
          inv,
          stack,
          view,
          orders.map((o) => o.orderId),
        );
        Object.assign(figures, {
          orders: p.orders,
          ledgerLinesAtKill: ledgerAtKill,
          scriptsInFlightOnVictim: inFlight.length,
          ...charges,
          killedScriptsReportedUnknown: killedOrders.filter(
            (id) => view.result?.orders.find((o) => o.orderId === id)?.outcome === 'outcome_unknown',
          ).length,
          survivorStillRunning: survivor.running,
          scriptProcessesLeft: leftOver.length,
          reapersLeft: reapersLeft.length,
          batchAfterKillMs: Date.now() - killedAt,
          batchMs,
        });
        inv.check(inFlight.length > 0, 'the victim ran no script when killed: the scenario tested nothing');
        inv.check(survivor.running, 'the surviving worker died too');
        inv.check(
          leftOver.length === 0,
          `script processes still running after the batch: ${leftOver.map((proc) => proc.argv.join(' ')).join('; ')}`,
        );
        if (reapersLeft.length > 0)
          inv.note(`the killed worker's reaper is still running: ${reapersLeft.join(', ')}`);
      } finally {
        await stack.stop();
      }
    },
  );
}
