// R3: the Temporal server is SIGKILLed in the middle of a batch and restarted on its SQLite file (durability
// `full`, same port). The batch completes after the restart and every order is charged exactly once.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, sleep } from '../../test/support/poll.js';
import { runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { ManagedServer, SHIPPED_REGISTRY, Stack, removeUnlessKept } from '../stack.js';
import { awaitBatch, judgeBatch, startBatch } from './batch.js';

export interface ServerKillParams {
  orders: number;
  maxConcurrent: number;
  /** Kill once this share of the orders is charged. */
  killAtFraction: number;
  /** How long the server stays dead before the restart begins. */
  downMs: number;
  /** Default: the shipped registry (see below). */
  registryFile?: string;
}

export function serverSigkill(
  ctx: ScenarioContext,
  p: ServerKillParams = { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 1000 },
): Promise<ScenarioResult> {
  return runScenario(
    'R3',
    `Temporal server SIGKILL + restart (durability full) mid-batch of ${p.orders}`,
    async (inv, figures) => {
      const dbFile = path.join(
        mkdtempSync(path.join(os.tmpdir(), 'superscript-faults-r3-db-')),
        'temporal.sqlite',
      );
      const server = await ManagedServer.start({ durability: 'full', dbFile });
      // The shipped registry: collect-payment with the production 10 s heartbeat timeout. A server outage
      // longer than the heartbeat timeout makes in-flight scripts outcome_unknown by design; this scenario
      // is about the server forgetting nothing, so the outage stays within it (figures show how long).
      const stack = await Stack.open({
        address: server.address,
        name: 'r3',
        registryFile: p.registryFile ?? SHIPPED_REGISTRY,
        cli: ctx.cli,
        env: { PAYMENT_DELAY_SECONDS: '0.3' },
      });
      try {
        await stack.startWorker();
        const api = await stack.startApi();
        const t = runTag();
        const batchId = `r3-${t}`;
        const orders = Array.from({ length: p.orders }, (_, i) => ({
          orderId: `r3-${t}-${i}`,
          amount: 1 + i,
        }));

        const started = Date.now();
        await startBatch(api.url, batchId, orders, p.maxConcurrent);
        await eventually(
          'the kill point',
          () => (stack.ledger().length >= p.orders * p.killAtFraction ? true : undefined),
          120_000,
          20,
        );
        const ledgerAtKill = stack.ledger().length;
        const killedAt = Date.now();
        await server.kill();
        await sleep(p.downMs);
        await server.restart();
        const backAt = Date.now();
        const ledgerAtRestart = stack.ledger().length;

        const view = await awaitBatch(api.url, batchId, 300_000);
        const endedAt = Date.now();
        await sleep(1000);
        const charges = await judgeBatch(
          inv,
          stack,
          view,
          orders.map((o) => o.orderId),
        );
        Object.assign(figures, {
          orders: p.orders,
          ledgerLinesAtKill: ledgerAtKill,
          ledgerLinesAtRestart: ledgerAtRestart,
          serverDownMs: backAt - killedAt,
          ...charges,
          batchAfterRestartMs: endedAt - backAt,
          batchMs: endedAt - started,
        });
        inv.check(
          ledgerAtKill < p.orders,
          'the batch had finished before the kill: the scenario tested nothing',
        );
        inv.check(
          charges.chargedOnce === p.orders,
          `${p.orders - charges.chargedOnce} orders not charged exactly once`,
        );
      } finally {
        await stack.stop();
        await server.stop();
        removeUnlessKept(path.dirname(dbFile));
      }
    },
  );
}
