// R4: two workers share a task queue; one is SIGKILLed mid-batch, while it runs scripts. The batch finishes
// on the survivor; no order is charged twice; orders whose script died end outcome_unknown, not re-run, and
// only those: every order the killed worker did not hold succeeds, charged exactly once. Then the operator's
// view of those runs: their keys still refuse a different request, and an order known not to have been
// charged can be retried explicitly, which charges it exactly once.
import type { temporal } from '@temporalio/proto';
import { httpRequest } from '../http.js';
import { eventually, sleep } from '../../support/poll.js';
import { findProcesses, processTable, stillRunning } from '../../support/processes.js';
import {
  runScenario,
  runTag,
  type Figures,
  type Invariants,
  type ScenarioContext,
  type ScenarioResult,
} from '../scenario.js';
import { Stack } from '../stack.js';
import { FIXTURE_REGISTRY } from '../../support/paths.js';
import { awaitBatch, judgeBatch, startBatch, type BatchView, type OrderReport } from './batch.js';

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
        server: ctx.topology.server,
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
        const outcomeOf = (id: string) => view.orders.find((o) => o.orderId === id)?.outcome;
        // A script caught before it charged cannot have reported anything: its run must say unknown.
        const chargedAt = chargeTimes(stack);
        const killedBeforeCharging = killedOrders.filter(
          (id) => !((chargedAt.get(id) ?? Infinity) < killedAt),
        );
        const notReportedUnknown = killedBeforeCharging.filter((id) => outcomeOf(id) !== 'outcome_unknown');
        // Only the kill may leave an outcome unknown: an unknown order's script ran on the victim.
        const notTheVictims: string[] = [];
        for (const report of view.orders.filter((o) => o.outcome === 'outcome_unknown')) {
          const by = await scriptWorker(stack, report);
          if (by !== 'died' && !by?.startsWith(`${victim.pid}@`))
            notTheVictims.push(`${report.orderId} (${by ?? 'no worker'})`);
        }
        Object.assign(figures, {
          orders: p.orders,
          ledgerLinesAtKill: ledgerAtKill,
          scriptsInFlightOnVictim: inFlight.length,
          ...charges,
          killedScriptsReportedUnknown: killedOrders.filter((id) => outcomeOf(id) === 'outcome_unknown')
            .length,
          killedBeforeCharging: killedBeforeCharging.length,
          unknownNotHeldByVictim: notTheVictims.length,
          survivorStillRunning: survivor.running,
          scriptProcessesLeft: leftOver.length,
          reapersLeft: reapersLeft.length,
          batchAfterKillMs: Date.now() - killedAt,
          batchMs,
        });
        inv.check(inFlight.length > 0, 'the victim ran no script when killed: the scenario tested nothing');
        inv.check(
          notReportedUnknown.length === 0,
          `orders whose script was killed before it charged, not reported outcome_unknown: ` +
            notReportedUnknown.map((id) => `${id} (${outcomeOf(id) ?? 'no report'})`).join(', '),
        );
        inv.check(
          notTheVictims.length === 0,
          `orders outcome_unknown whose script the killed worker never ran: ${notTheVictims.join(', ')}`,
        );
        inv.check(survivor.running, 'the surviving worker died too');
        inv.check(
          leftOver.length === 0,
          `script processes still running after the batch: ${leftOver.map((proc) => proc.argv.join(' ')).join('; ')}`,
        );
        if (reapersLeft.length > 0)
          inv.note(`the killed worker's reaper is still running: ${reapersLeft.join(', ')}`);

        await afterTheFault(inv, figures, stack, api.url, view, orders);
      } finally {
        await stack.stop();
      }
    },
  );
}

/**
 * What an operator does next, on runs the batch started: the key still stands for one request (a request
 * for a batch-charged order with another amount is refused 422, not answered with the batch's charge), and
 * an outcome_unknown order known not to have been charged can be retried explicitly, charging it once.
 */
async function afterTheFault(
  inv: Invariants,
  figures: Figures,
  stack: Stack,
  apiUrl: string,
  view: BatchView,
  orders: { orderId: string; amount: number }[],
): Promise<void> {
  // A batch of payments: every entry is an order, with its ID.
  const reports = view.orders.flatMap(({ orderId, ...r }) =>
    orderId === undefined ? [] : [{ ...r, orderId }],
  );
  const charges = stack.chargesByOrder();
  const paid = orders.find((o) => reports.find((r) => r.orderId === o.orderId)?.outcome === 'succeeded');
  if (paid) {
    const other = await httpRequest(apiUrl, {
      method: 'POST',
      path: '/v1/payments',
      body: { orderId: paid.orderId, amount: paid.amount + 1 },
    });
    figures.otherAmountForBatchOrderStatus = other.status;
    inv.check(
      other.status === 422,
      `POST /v1/payments for batch-charged order ${paid.orderId} with a different amount answered ` +
        `${other.status}, not 422 key_conflict: ${other.text.slice(0, 200)}`,
    );
  }
  const lost = reports.find((r) => r.outcome === 'outcome_unknown' && !charges.get(r.orderId));
  if (lost) {
    const retry = await httpRequest(apiUrl, {
      method: 'POST',
      path: `/v1/runs/payment-${lost.orderId}/retry?wait=60s`,
      body: { reason: 'killed before it charged (ledger)' },
    });
    const charged = stack.chargesByOrder().get(lost.orderId) ?? 0;
    figures.retryOfUnknownOrderStatus = retry.status;
    figures.retriedOrderCharges = charged;
    inv.check(
      retry.status === 200 && (retry.json as { status?: string } | undefined)?.status === 'succeeded',
      `explicit retry of outcome_unknown batch order ${lost.orderId} answered ${retry.status}: ${retry.text.slice(0, 240)}`,
    );
    // It had no charge before the retry, and the retry succeeded: exactly the retry's one charge.
    inv.check(charged === 1, `the retried order ${lost.orderId} was charged ${charged} times, not once`);
  } else {
    inv.note('no outcome_unknown order was left uncharged: no explicit retry was tried');
  }
}

/** When each order was first charged, from the ledger's own timestamps (`<ISO time> <orderId> <amount>`). */
function chargeTimes(stack: Stack): Map<string, number> {
  const at = new Map<string, number>();
  for (const line of stack.ledger()) {
    const [time = '', orderId = ''] = line.split(' ');
    if (!at.has(orderId)) at.set(orderId, Date.parse(time));
  }
  return at;
}

/** temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT (the proto package is the SDK's, not ours). */
const HEARTBEAT_TIMEOUT: temporal.api.enums.v1.TimeoutType = 4;

/**
 * Which worker took the order's script, from its run's history: the identity (`<pid>@<host>`) of the attempt
 * that started it. Temporal writes an activity's started event only when its last attempt ends, so when that
 * attempt followed one that stopped heartbeating (its worker died; the next attempt, elsewhere, found the
 * script started and ended the run unknown), the script ran on the worker of the attempt before: `died`.
 */
async function scriptWorker(stack: Stack, report: OrderReport): Promise<string | undefined> {
  const history = await stack.client.workflow
    .getHandle(`payment-${report.orderId}`, report.runId)
    .fetchHistory();
  const started = history.events?.find(
    (e) => e.activityTaskStartedEventAttributes,
  )?.activityTaskStartedEventAttributes;
  const lostHeartbeat = started?.lastFailure?.timeoutFailureInfo?.timeoutType === HEARTBEAT_TIMEOUT;
  if ((started?.attempt ?? 1) > 1 && lostHeartbeat) return 'died';
  return started?.identity ?? undefined;
}
