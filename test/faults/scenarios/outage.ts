// What R3 and R6 share: a batch of payments over HTTP, an outage of something under Temporal once a share of
// it is charged (the server SIGKILLed, PostgreSQL shut down or SIGKILLed), the repair, and the batch judged
// afterwards: every order charged exactly once. R6 runs two such phases in one scenario.
import { eventually, sleep } from '../../support/poll.js';
import {
  runScenario,
  runTag,
  type Figures,
  type Invariants,
  type ScenarioContext,
  type ScenarioResult,
} from '../scenario.js';
import { Stack, type ApiService, type ServerTarget } from '../stack.js';
import { SHIPPED_REGISTRY } from '../../support/paths.js';
import { awaitBatch, judgeBatch, startBatch } from './batch.js';

export interface OutageParams {
  orders: number;
  maxConcurrent: number;
  /** Break once this share of the orders is charged. */
  killAtFraction: number;
  /** How long it stays broken before the repair begins (at least; see `Outage.meanwhile`). */
  downMs: number;
  /** Default: the shipped registry (see below). */
  registryFile?: string;
}

/** What an outage scenario breaks and how. */
export interface Outage {
  /** The server the stack uses. */
  server: ServerTarget;
  /** Orders the outage pays itself, outside the batch (e.g. a probe). */
  ownOrders?: string[];
  break(): Promise<void>;
  repair(): Promise<void>;
  /** While it is broken (and before the repair), e.g. probe the API; runs alongside the `downMs` wait. */
  meanwhile?(api: ApiService, figures: Figures, inv: Invariants): Promise<void>;
  /** After the batch is judged, e.g. check the API recovered on its own. */
  after?(api: ApiService, stack: Stack, figures: Figures, inv: Invariants): Promise<void>;
  /** Done with whatever `open` set up. */
  release(): Promise<void>;
}

/** A scenario of one phase: one batch through one outage. */
export function batchThroughOutage(
  ctx: ScenarioContext,
  scenario: { id: string; title: string; name: string },
  p: OutageParams,
  open: () => Promise<Outage>,
): Promise<ScenarioResult> {
  return runScenario(scenario.id, scenario.title, (inv, figures) =>
    outagePhase(ctx, scenario.name, p, open, inv, figures),
  );
}

/**
 * One batch through one outage, on a stack of its own (task queue, ledger, workers, APIs), so phases of one
 * scenario never count each other's orders. `name` names the stack and prefixes the batch's order IDs.
 */
export async function outagePhase(
  ctx: ScenarioContext,
  name: string,
  p: OutageParams,
  open: () => Promise<Outage>,
  inv: Invariants,
  figures: Figures,
): Promise<void> {
  const outage = await open();
  // The shipped registry: collect-payment with the production 10 s heartbeat timeout. An outage longer
  // than the heartbeat timeout makes in-flight scripts outcome_unknown by design; these scenarios are
  // about Temporal forgetting nothing, so the outage stays within it (figures show how long).
  const stack = await Stack.open({
    server: outage.server,
    name,
    registryFile: p.registryFile ?? SHIPPED_REGISTRY,
    cli: ctx.cli,
    env: { PAYMENT_DELAY_SECONDS: '0.3' },
  });
  try {
    await stack.startWorkers(ctx.topology.workers);
    const [api] = await stack.startApis(ctx.topology.apis);
    const t = runTag();
    const batchId = `${name}-${t}`;
    const orders = Array.from({ length: p.orders }, (_, i) => ({
      orderId: `${name}-${t}-${i}`,
      amount: 1 + i,
    }));

    const started = Date.now();
    await startBatch(api!.url, batchId, orders, p.maxConcurrent);
    await eventually(
      'the kill point',
      () => (stack.ledger().length >= p.orders * p.killAtFraction ? true : undefined),
      120_000,
      20,
    );
    const ledgerAtKill = stack.ledger().length;
    const killedAt = Date.now();
    await outage.break();
    await Promise.all([sleep(p.downMs), outage.meanwhile?.(api!, figures, inv)]);
    await outage.repair();
    const backAt = Date.now();
    const ledgerAtRepair = stack.ledger().length;

    const view = await awaitBatch(api!.url, batchId, 300_000);
    const endedAt = Date.now();
    await sleep(1000);
    const charges = await judgeBatch(
      inv,
      stack,
      view,
      orders.map((o) => o.orderId),
      outage.ownOrders,
    );
    Object.assign(figures, {
      orders: p.orders,
      workers: ctx.topology.workers,
      ledgerLinesAtKill: ledgerAtKill,
      ledgerLinesAtRepair: ledgerAtRepair,
      downMs: backAt - killedAt,
      ...charges,
      batchAfterRepairMs: endedAt - backAt,
      batchMs: endedAt - started,
    });
    inv.check(ledgerAtKill < p.orders, 'the batch had finished before the kill: the scenario tested nothing');
    inv.check(
      charges.chargedOnce === p.orders,
      `${p.orders - charges.chargedOnce} orders not charged exactly once`,
    );
    await outage.after?.(api!, stack, figures, inv);
  } finally {
    await stack.stop();
    await outage.release();
  }
}
