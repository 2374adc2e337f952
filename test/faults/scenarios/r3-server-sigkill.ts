// R3: the Temporal server is SIGKILLed in the middle of a batch and restarted on the same state (the dev
// server on its SQLite file with durability `full`, same port; or the cluster's server on PostgreSQL). The
// batch completes after the restart and every order is charged exactly once.
import type { ScenarioContext, ScenarioResult } from '../scenario.js';
import { batchThroughOutage, type OutageParams } from './outage.js';

export function serverSigkill(
  ctx: ScenarioContext,
  p: OutageParams = { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 1000 },
): Promise<ScenarioResult> {
  const name = ctx.topology.name === 'dev' ? 'Temporal dev server (durability full)' : 'Temporal server';
  return batchThroughOutage(
    ctx,
    { id: 'R3', title: `${name} SIGKILL + restart mid-batch of ${p.orders}`, name: 'r3' },
    p,
    async () => {
      const server = await ctx.topology.crashableServer();
      return {
        server,
        break: () => server.kill(),
        repair: () => server.restart(),
        release: () => server.release(),
      };
    },
  );
}
