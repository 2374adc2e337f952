// R6 (cluster only): PostgreSQL, the cluster's persistence and visibility, goes down in the middle of a batch
// and comes back, twice, each phase on a batch of its own: first a fast shutdown (open transactions rolled
// back), then a crash (the postmaster SIGKILLed, so the restart runs crash recovery). In both every order is
// charged exactly once and the batch finishes; during the shutdown a new payment gets 503 from the API, and
// once the database is back the same request is served by the same API process, which was never restarted.
import { readFileSync, statSync } from 'node:fs';
import type { Postgres } from '../../../src/cluster/postgres.js';
import { eventually } from '../../support/poll.js';
import { httpRequest, type HttpResponse } from '../http.js';
import { processTable, stillRunning } from '../../support/processes.js';
import { runScenario, runTag, type Figures, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import type { ServerTarget } from '../stack.js';
import { outagePhase, type Outage, type OutageParams } from './outage.js';

/**
 * A probe that gets no answer in this long is a violation: callers must hear 503, not wait. The API gives a
 * start 10 s (src/runs/start-or-attach.ts), so the outage lasts about that long: past the shipped registry's
 * 10 s heartbeat timeout, scripts in flight at the shutdown may end outcome_unknown (charged once).
 */
const PROBE_TIMEOUT_MS = 15_000;

/** The postmaster's helpers and backends exit once they notice its death; rarely more than a second. */
const CHILDREN_GONE_WITHIN_MS = 30_000;

export function postgresRestart(
  ctx: ScenarioContext,
  p: OutageParams = { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 1000 },
): Promise<ScenarioResult> {
  return runScenario(
    'R6',
    `PostgreSQL fast shutdown, then SIGKILL, each + start mid-batch of ${p.orders}`,
    async (inv, figures) => {
      const postgres = ctx.topology.postgres;
      if (!postgres) throw new Error('R6 needs a topology with PostgreSQL (npm run faults -- --cluster)');
      // Each phase's figures under its name (`shutdown.downMs`, `crash.downMs`), even when it breaks midway.
      const phase = async (name: string, open: () => Promise<Outage>) => {
        const own: Figures = {};
        try {
          await outagePhase(ctx, `r6-${name}`, p, open, inv.phase(name), own);
        } finally {
          for (const [key, value] of Object.entries(own)) figures[`${name}.${key}`] = value;
        }
      };
      await phase('shutdown', async () => fastShutdown(ctx.topology.server, postgres));
      await phase('crash', async () => crash(ctx.topology.server, postgres));
    },
  );
}

/** SIGINT to the postmaster (fast shutdown), probing the API meanwhile and after. */
function fastShutdown(server: ServerTarget, postgres: Postgres): Outage {
  const probe = { orderId: `r6-probe-${runTag()}`, amount: 1 };
  const pay = (url: string, timeoutMs: number) =>
    httpRequest(url, { method: 'POST', path: '/v1/payments', body: probe, timeoutMs });
  let apiPid = -1;
  let stopMs = -1;
  return {
    server,
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
}

/**
 * SIGKILL to the postmaster, as a crash or the OOM killer would: no shutdown checkpoint, so the next start
 * replays the WAL (crash recovery), which its log must show, or nothing crashed.
 */
function crash(server: ServerTarget, postgres: Postgres): Outage {
  let children = -1;
  let childrenGoneMs = -1;
  let restartMs = -1;
  let logFrom = 0;
  return {
    server,
    async break() {
      const postmaster = postgres.pid;
      const pids = processTable()
        .filter((proc) => proc.ppid === postmaster)
        .map((proc) => proc.pid);
      children = pids.length;
      logFrom = statSync(postgres.logFile).size;
      const killed = Date.now();
      await postgres.kill();
      // Its helpers and backends exit by themselves once they notice; until the last has, the old shared
      // memory is in use and a new postmaster refuses to start.
      await eventually(
        "the killed postmaster's processes to exit",
        () => (pids.some((pid) => stillRunning(pid, 'postgres')) ? undefined : true),
        CHILDREN_GONE_WITHIN_MS,
        20,
      );
      childrenGoneMs = Date.now() - killed;
    },
    async repair() {
      const starting = Date.now();
      await postgres.start();
      restartMs = Date.now() - starting;
    },
    async after(_api, _stack, figures, inv) {
      const log = readFileSync(postgres.logFile).subarray(logFrom).toString('utf8');
      const recovered = log.includes('automatic recovery in progress');
      Object.assign(figures, {
        postmasterChildrenAtKill: children,
        childrenGoneAfterKillMs: childrenGoneMs,
        restartWithRecoveryMs: restartMs,
        crashRecoveryLogged: recovered,
      });
      inv.check(recovered, `PostgreSQL's log shows no crash recovery after the SIGKILL: nothing crashed`);
    },
    release: async () => {},
  };
}
