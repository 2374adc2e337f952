// R10: the key store goes away in the middle of a batch and comes back. On a cluster its database (a
// PostgreSQL of its own, so that Temporal's stays up) is stopped, and in a second phase killed (SIGKILL of
// its postmaster); on the dev server its file is taken away from the worker and the API. Meanwhile the API
// answers 503 and starts nothing, no script starts without a claim (every charge made during the outage was
// claimed before it), and afterwards nothing is lost: the batch finishes, every order charged exactly once,
// and the key store's record of every order says how it ended.
import { mkdtempSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasEnded } from '../../../src/keystore/record.js';
import { paymentWorkflowId } from '../../../src/shared/ids.js';
import { startKeyStorePostgres } from '../../support/postgres.js';
import { httpRequest } from '../http.js';
import {
  runScenario,
  runTag,
  type Figures,
  type Invariants,
  type ScenarioContext,
  type ScenarioResult,
} from '../scenario.js';
import { cleanup, removeUnlessKept, type Stack } from '../stack.js';
import { outagePhase, type Outage, type OutageParams } from './outage.js';

/** A probe must hear 503 in this long: a caller is told to come back, not kept waiting. */
const PROBE_TIMEOUT_MS = 15_000;

export function keyStoreOutage(
  ctx: ScenarioContext,
  p: OutageParams = { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 5000 },
): Promise<ScenarioResult> {
  const cluster = ctx.topology.postgres !== undefined;
  const title = cluster
    ? `the key store's PostgreSQL stopped, then SIGKILLed, each mid-batch of ${p.orders}`
    : `the key store's file taken away mid-batch of ${p.orders}`;
  return runScenario('R10', title, async (inv, figures) => {
    const phase = async (name: string, open: () => Promise<Outage>) => {
      const own: Figures = {};
      try {
        await outagePhase(ctx, `r10-${name}`, p, open, inv.phase(name), own);
      } finally {
        for (const [key, value] of Object.entries(own)) figures[`${name}.${key}`] = value;
      }
    };
    if (cluster) {
      await phase('stopped', () => separateDatabase(ctx, 'stop'));
      await phase('killed', () => separateDatabase(ctx, 'kill'));
    } else {
      await phase('file', () => fileAway(ctx));
    }
  });
}

/** What every R10 outage shares: the probes while it is down, and the claims checked after. */
function keyStoreOutageOf(
  ctx: ScenarioContext,
  keyStore: string,
  down: { break(): Promise<void>; repair(): Promise<void>; release(): Promise<void> },
): Outage {
  const probe = { orderId: `r10-probe-${runTag()}`, amount: 1 };
  let downAt = 0;
  let upAt = 0;
  return {
    server: { ...ctx.topology.server, keyStoreUrl: keyStore },
    ownOrders: [probe.orderId],
    async break() {
      await down.break();
      downAt = Date.now();
    },
    async repair() {
      await down.repair();
      upAt = Date.now();
    },
    async meanwhile(api, figures, inv) {
      const sent = Date.now();
      const res = await httpRequest(api.url, {
        method: 'POST',
        path: '/v1/payments',
        body: probe,
        timeoutMs: PROBE_TIMEOUT_MS,
      }).catch(() => undefined);
      figures.paymentDuringOutageStatus = res?.status ?? 'no answer';
      figures.paymentDuringOutageAnsweredMs = Date.now() - sent;
      inv.check(
        res?.status === 503,
        `a payment while the key store was down answered ${res?.status ?? 'nothing'}, not 503`,
      );
      inv.check(res?.headers['retry-after'] !== undefined, 'the 503 carried no Retry-After');
      const health = await httpRequest(api.url, { method: 'GET', path: '/healthz', timeoutMs: 5000 }).catch(
        () => undefined,
      );
      figures.healthzDuringOutage = health?.status ?? 'no answer';
      inv.check(health?.status === 503, `/healthz answered ${health?.status} while the key store was down`);
    },
    async after(_api, stack, figures, inv) {
      await checkClaims(stack, { downAt, upAt }, figures, inv);
      const charged = stack.chargesByOrder().get(probe.orderId) ?? 0;
      inv.check(charged === 0, `the payment refused during the outage was charged ${charged} times`);
    },
    release: () => down.release(),
  };
}

/**
 * Every charge made while the store was down belongs to an order whose run was marked started before it went
 * down (nothing starts without a claim), and every charged order's record has ended with its one start.
 */
async function checkClaims(
  stack: Stack,
  window: { downAt: number; upAt: number },
  figures: Figures,
  inv: Invariants,
): Promise<void> {
  const keys = await stack.keyStore();
  let duringOutage = 0;
  let claimedBefore = 0;
  let recordsEnded = 0;
  const charges = stack.ledger().map((line) => line.split(' '));
  for (const [at, orderId] of charges) {
    const key = paymentWorkflowId(orderId!);
    const record = await keys.get(key);
    if (record && hasEnded(record.state) && record.attempts === 1) recordsEnded++;
    const t = Date.parse(at!);
    if (t < window.downAt || t > window.upAt) continue;
    duringOutage++;
    const spawned = (await keys.events(key)).find((e) => e.kind === 'spawned');
    if (spawned && Date.parse(spawned.at) <= window.downAt) claimedBefore++;
  }
  inv.check(
    claimedBefore === duringOutage,
    `${duringOutage - claimedBefore} of ${duringOutage} charges during the outage were not claimed before it`,
  );
  inv.check(
    recordsEnded === charges.length,
    `${charges.length - recordsEnded} charged orders' records have not ended with one start`,
  );
  Object.assign(figures, {
    chargesDuringOutage: duringOutage,
    claimedBeforeOutage: claimedBefore,
    recordsEnded,
  });
}

/** The key store on a PostgreSQL of its own, which the outage stops (fast shutdown) or kills. */
async function separateDatabase(ctx: ScenarioContext, how: 'stop' | 'kill'): Promise<Outage> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-faults-r10-pg-'));
  const { postgres, url } = await startKeyStorePostgres(dir);
  const forget = cleanup.add(
    'R10 key store database',
    () => postgres.stop(),
    () => void postgres.kill(),
  );
  return keyStoreOutageOf(ctx, url, {
    break: () => (how === 'stop' ? postgres.stop() : postgres.kill()),
    repair: () => postgres.start(),
    release: async () => {
      await postgres.stop();
      forget();
      removeUnlessKept(dir);
    },
  });
}

/** The embedded store's file, renamed away from under the worker and the API, then put back. */
async function fileAway(ctx: ScenarioContext): Promise<Outage> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-faults-r10-'));
  const file = path.join(dir, 'keys.sqlite');
  return keyStoreOutageOf(ctx, `sqlite:${file}`, {
    break: async () => renameSync(file, `${file}.away`),
    repair: async () => renameSync(`${file}.away`, file),
    release: async () => removeUnlessKept(dir),
  });
}
