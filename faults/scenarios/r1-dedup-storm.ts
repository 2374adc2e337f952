// R1: a storm of concurrent duplicate requests over HTTP. Exactly one charge per order, and every caller
// of a key sees the same run and the same result.
import http from 'node:http';
import { httpRequest, type HttpResponse } from '../http.js';
import { eventually, sleep } from '../../test/support/poll.js';
import { percentile, runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { FIXTURE_REGISTRY, Stack } from '../stack.js';

export interface DedupStormParams {
  requests: number;
  keys: number;
}

interface RunBody {
  workflowId?: string;
  runId?: string;
  status?: string;
  executed?: boolean;
  replayed?: boolean;
  result?: unknown;
}

export function dedupStorm(
  ctx: ScenarioContext,
  p: DedupStormParams = { requests: 1000, keys: 20 },
): Promise<ScenarioResult> {
  return runScenario(
    'R1',
    `dedup storm: ${p.requests} concurrent POST /v1/payments over ${p.keys} order IDs, then late duplicates`,
    async (inv, figures) => {
      // The script's 0.2 s "provider latency" keeps the first run in flight while the duplicates arrive.
      const stack = await Stack.open({
        address: ctx.address,
        name: 'r1',
        registryFile: FIXTURE_REGISTRY,
        cli: ctx.cli,
        env: { PAYMENT_DELAY_SECONDS: '0.2' },
      });
      try {
        await stack.startWorker();
        const api = await stack.startApi();
        const tag = runTag();
        const orderIds = Array.from({ length: p.keys }, (_, k) => `r1-${tag}-${k}`);
        // Sends `n` requests at once, over the keys in turn. One socket each, no pooling: all in flight together.
        const storm = async (n: number, wave: number) => {
          const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
          const settled = await Promise.allSettled(
            Array.from({ length: n }, (_, i) =>
              httpRequest(api.url, {
                method: 'POST',
                path: '/v1/payments',
                body: { orderId: orderIds[i % p.keys], amount: 10 + (i % p.keys) },
                agent,
              }).then((res) => ({ ...res, key: i % p.keys, wave })),
            ),
          );
          agent.destroy();
          return settled;
        };

        const started = Date.now();
        const first = await storm(p.requests, 1);
        figures.wallMs = Date.now() - started;
        // Late duplicates, once every run has ended: they must replay the stored result, not run anything.
        const lateCount = Math.max(p.keys, Math.round(p.requests / 10));
        const late = await storm(lateCount, 2);

        const responses: (HttpResponse & { key: number; wave: number })[] = [];
        const transportErrors: string[] = [];
        for (const s of [...first, ...late]) {
          if (s.status === 'fulfilled') responses.push(s.value);
          else transportErrors.push(String((s.reason as Error).message));
        }
        const statusCounts: Record<string, number> = {};
        for (const r of responses) statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
        const odd = responses.find((r) => r.status !== 200);
        if (odd) inv.note(`a ${odd.status} answer: ${odd.text.slice(0, 300)}`);
        const latencies = responses.filter((r) => r.wave === 1).map((r) => r.ms);

        // Per key, over both waves: the distinct run IDs and results callers saw, and how many were told
        // they executed the run.
        let maxRunIds = 0;
        let maxResults = 0;
        let keysExecutedOnce = 0;
        for (let k = 0; k < p.keys; k++) {
          const bodies = responses
            .filter((r) => r.key === k && r.status === 200)
            .map((r) => r.json as RunBody);
          const runIds = new Set(bodies.map((b) => b.runId));
          const results = new Set(bodies.map((b) => JSON.stringify(b.result)));
          const executed = bodies.filter((b) => b.executed === true).length;
          maxRunIds = Math.max(maxRunIds, runIds.size);
          maxResults = Math.max(maxResults, results.size);
          if (executed === 1) keysExecutedOnce++;
          inv.check(runIds.size === 1, `order ${orderIds[k]}: ${runIds.size} distinct run IDs in responses`);
          inv.check(
            results.size === 1,
            `order ${orderIds[k]}: ${results.size} distinct results in responses`,
          );
          inv.check(executed === 1, `order ${orderIds[k]}: ${executed} responses say they executed the run`);
          inv.check(
            bodies.every((b) => b.status === 'succeeded'),
            `order ${orderIds[k]}: a response reports status other than succeeded`,
          );
        }
        const lateReplayed = responses.filter(
          (r) =>
            r.wave === 2 &&
            r.headers['idempotent-replayed'] === 'true' &&
            (r.json as RunBody).replayed === true,
        ).length;

        // Give a stray late execution, if any, the time to show in the ledger before counting.
        await sleep(1000);
        const charges = stack.chargesByOrder();
        const ledgerLines = stack.ledger().length;
        const chargedOnce = orderIds.filter((id) => charges.get(id) === 1).length;
        // Visibility lags the start by a little; wait for it to settle on the expected count, else report it.
        let workflows = -1;
        await eventually(
          'visibility to count the runs',
          async () => ((workflows = await stack.countWorkflows()) === p.keys ? true : undefined),
          10_000,
          200,
        ).catch(() => undefined);

        Object.assign(figures, {
          requests: p.requests,
          keys: p.keys,
          responses200: statusCounts['200'] ?? 0,
          otherResponses: responses.length - (statusCounts['200'] ?? 0),
          transportErrors: transportErrors.length,
          ledgerLines,
          ordersChargedOnce: chargedOnce,
          workflowsStarted: workflows,
          maxRunIdsPerKey: maxRunIds,
          maxResultsPerKey: maxResults,
          keysExecutedExactlyOnce: keysExecutedOnce,
          lateDuplicates: lateCount,
          lateDuplicatesReplayed: lateReplayed,
          latencyP50Ms: percentile(latencies, 50),
          latencyP99Ms: percentile(latencies, 99),
          latencyMaxMs: percentile(latencies, 100),
        });

        inv.check(
          transportErrors.length === 0,
          `${transportErrors.length} requests failed: ${transportErrors[0]}`,
        );
        inv.check(
          (statusCounts['200'] ?? 0) === p.requests + lateCount,
          `not every request got 200: ${JSON.stringify(statusCounts)}`,
        );
        inv.check(
          lateReplayed === lateCount,
          `${lateCount - lateReplayed} late duplicates not marked replayed`,
        );
        inv.check(ledgerLines === p.keys, `${ledgerLines} ledger lines for ${p.keys} orders`);
        inv.check(chargedOnce === p.keys, `${p.keys - chargedOnce} orders not charged exactly once`);
        inv.check(workflows === p.keys, `visibility counts ${workflows} workflows for ${p.keys} keys`);
      } finally {
        await stack.stop();
      }
    },
  );
}
