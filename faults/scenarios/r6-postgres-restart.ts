// R6 (cluster only): PostgreSQL, the cluster's persistence and visibility, is shut down (fast: open
// transactions rolled back) in the middle of a batch and started again. Every order is charged exactly once;
// meanwhile a new payment gets 503 from the API, and once the database is back the same request is served
// by the same API process, which was never restarted.
import { httpRequest, type HttpResponse } from '../http.js';
import { runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { batchThroughOutage, type OutageParams } from './outage.js';

/**
 * A probe that gets no answer in this long is a violation: callers must hear 503, not wait. The API gives a
 * start 10 s (src/runs/start-or-attach.ts), so the outage lasts about that long: past the shipped registry's
 * 10 s heartbeat timeout, scripts in flight at the shutdown may end outcome_unknown (charged once).
 */
const PROBE_TIMEOUT_MS = 15_000;

export function postgresRestart(
  ctx: ScenarioContext,
  p: OutageParams = { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 1000 },
): Promise<ScenarioResult> {
  return batchThroughOutage(
    ctx,
    { id: 'R6', title: `PostgreSQL fast shutdown + start mid-batch of ${p.orders}`, name: 'r6' },
    p,
    async () => {
      const postgres = ctx.topology.postgres;
      if (!postgres) throw new Error('R6 needs a topology with PostgreSQL (npm run faults -- --cluster)');
      const probe = { orderId: `r6-probe-${runTag()}`, amount: 1 };
      const pay = (url: string, timeoutMs: number) =>
        httpRequest(url, { method: 'POST', path: '/v1/payments', body: probe, timeoutMs });
      let apiPid = -1;
      let stopMs = -1;
      return {
        server: ctx.topology.server,
        ownOrders: [probe.orderId],
        async break() {
          const stopping = Date.now();
          await postgres.stop();
          stopMs = Date.now() - stopping;
        },
        repair: () => postgres.start(),
        async meanwhile(api, figures, inv) {
          apiPid = api.pid;
          // The frontend answers GetSystemInfo without its database: /healthz stays 200 (figures show it).
          const health = await httpRequest(api.url, {
            method: 'GET',
            path: '/healthz',
            timeoutMs: 5000,
          }).catch(() => undefined);
          figures.healthzDuringOutage = health?.status ?? 'no answer';
          const sent = Date.now();
          const res: HttpResponse | undefined = await pay(api.url, PROBE_TIMEOUT_MS).catch(() => undefined);
          figures.postgresFastShutdownMs = stopMs;
          figures.paymentDuringOutageStatus = res?.status ?? 'no answer';
          figures.paymentDuringOutageAnsweredMs = Date.now() - sent;
          inv.check(
            res?.status === 503,
            `a payment while PostgreSQL was down answered ${res?.status ?? `nothing in ${PROBE_TIMEOUT_MS} ms`}, not 503: ${res?.text.slice(0, 200) ?? ''}`,
          );
        },
        async after(api, stack, figures, inv) {
          const res = await pay(api.url, 60_000);
          const status = (res.json as { status?: string } | undefined)?.status;
          const charged = stack.chargesByOrder().get(probe.orderId) ?? 0;
          Object.assign(figures, {
            paymentAfterRecoveryStatus: res.status,
            paymentAfterRecoveryCharges: charged,
            apiProcessRestarted: api.pid !== apiPid || !api.running,
          });
          inv.check(
            res.status === 200 && status === 'succeeded',
            `the same payment once PostgreSQL was back answered ${res.status} ${status ?? ''}: ${res.text.slice(0, 200)}`,
          );
          inv.check(charged === 1, `the probe payment was charged ${charged} times`);
          inv.check(api.running && api.pid === apiPid, 'the API process did not survive the outage');
        },
        release: async () => {},
      };
    },
  );
}
