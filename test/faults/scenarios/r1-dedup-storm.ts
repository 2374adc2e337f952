// R1: a storm of concurrent duplicate requests over HTTP, spread over the topology's API processes. Exactly
// one charge per order, and every caller of a key sees the same run and the same result.
// R7 (a cluster fault): the same storm, with one API process SIGKILLed in the middle of it; its callers
// retry on another API and get the result, and every key still runs once.
import http from 'node:http';
import { httpRequest, type HttpResponse } from '../http.js';
import { eventually, sleep } from '../../support/poll.js';
import { percentile, runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { Stack, type ApiService } from '../stack.js';
import { FIXTURE_REGISTRY } from '../../support/paths.js';

export interface DedupStormParams {
  requests: number;
  keys: number;
  /** R7: SIGKILL the first API once the first charge shows in the ledger (needs two APIs or more). */
  killOneApi?: boolean;
}

interface RunBody {
  workflowId?: string;
  runId?: string;
  status?: string;
  executed?: boolean;
  replayed?: boolean;
  result?: unknown;
}

type StormResponse = HttpResponse & { key: number; wave: number; retried: boolean; resent503: number };

/** How often a caller sends a request again after a 503 before it takes the 503 as the answer. */
const MAX_RESENDS_AFTER_503 = 5;

export function dedupStorm(
  ctx: ScenarioContext,
  p: DedupStormParams = { requests: 1000, keys: 20 },
): Promise<ScenarioResult> {
  const apiCount = ctx.topology.apis;
  const name = p.killOneApi ? 'r7' : 'r1';
  const spread = apiCount > 1 ? ` over ${apiCount} API processes` : '';
  return runScenario(
    p.killOneApi ? 'R7' : 'R1',
    p.killOneApi
      ? `API process SIGKILL mid-storm: ${p.requests} concurrent POST /v1/payments over ${p.keys} order IDs${spread}, callers of the killed API retry on another`
      : `dedup storm: ${p.requests} concurrent POST /v1/payments over ${p.keys} order IDs${spread}, then late duplicates`,
    async (inv, figures) => {
      // The script's 0.2 s "provider latency" keeps the first run in flight while the duplicates arrive.
      const stack = await Stack.open({
        server: ctx.topology.server,
        name,
        registryFile: FIXTURE_REGISTRY,
        cli: ctx.cli,
        env: { PAYMENT_DELAY_SECONDS: '0.2' },
      });
      try {
        await stack.startWorkers(ctx.topology.workers);
        const apis = await stack.startApis(apiCount);
        if (p.killOneApi && apis.length < 2) throw new Error('R7 needs two API processes or more');
        const victim = p.killOneApi ? apis[0] : undefined;
        const tag = runTag();
        const orderIds = Array.from({ length: p.keys }, (_, k) => `${name}-${tag}-${k}`);
        const post = (api: ApiService, i: number, agent: http.Agent) =>
          httpRequest(api.url, {
            method: 'POST',
            path: '/v1/payments',
            body: { orderId: orderIds[i % p.keys], amount: 10 + (i % p.keys) },
            agent,
          });
        // Callers behave as the API asks: a 503 is sent again after its Retry-After (a start Temporal did
        // not answer in time, on a machine this loaded); a caller whose API died under it sends the same
        // request to another one, once.
        const call = async (i: number, wave: number, agent: http.Agent): Promise<StormResponse> => {
          const live = apis.filter((a) => a.running);
          let api = wave === 1 ? apis[i % apis.length]! : live[i % live.length]!;
          let retried = false;
          let resent503 = 0;
          for (;;) {
            let res: HttpResponse;
            try {
              res = await post(api, i, agent);
            } catch (err) {
              if (api !== victim || retried) throw err;
              api = apis.find((a) => a !== victim)!;
              retried = true;
              continue;
            }
            if (res.status === 503 && resent503 < MAX_RESENDS_AFTER_503) {
              resent503++;
              await sleep(Number(res.headers['retry-after'] ?? 1) * 1000);
              continue;
            }
            return { ...res, key: i % p.keys, wave, retried, resent503 };
          }
        };
        // Sends `n` requests at once, over the keys in turn. One socket each, no pooling: all in flight together.
        const storm = async (n: number, wave: number) => {
          const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
          const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => call(i, wave, agent)));
          agent.destroy();
          return settled;
        };

        const started = Date.now();
        // R7's kill lands once scripts are charging: the victim's callers are waiting for their results.
        const killed = victim
          ? eventually(
              'the first charge',
              () => (stack.ledger().length > 0 ? true : undefined),
              60_000,
              5,
            ).then(async () => {
              await victim.kill();
              return Date.now() - started;
            })
          : undefined;
        const first = await storm(p.requests, 1);
        figures.wallMs = Date.now() - started;
        if (killed) figures.apiKilledAfterMs = await killed;
        // Late duplicates, once every run has ended: they must replay the stored result, not run anything.
        const lateCount = Math.max(p.keys, Math.round(p.requests / 10));
        const late = await storm(lateCount, 2);

        const responses: StormResponse[] = [];
        const transportErrors: string[] = [];
        for (const s of [...first, ...late]) {
          if (s.status === 'fulfilled') responses.push(s.value);
          else transportErrors.push(String((s.reason as Error).message));
        }
        const retried = responses.filter((r) => r.retried);
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
        let keysExecutedUnseen = 0;
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
          else if (executed === 0) keysExecutedUnseen++;
          inv.check(runIds.size === 1, `order ${orderIds[k]}: ${runIds.size} distinct run IDs in responses`);
          inv.check(
            results.size === 1,
            `order ${orderIds[k]}: ${results.size} distinct results in responses`,
          );
          // The one caller told `executed` may have been on the killed API (R7), or its start may have been
          // answered 503 though it landed later: never two, maybe none.
          const resent = responses.some((r) => r.key === k && r.resent503 > 0);
          inv.check(
            victim || resent ? executed <= 1 : executed === 1,
            `order ${orderIds[k]}: ${executed} responses say they executed the run`,
          );
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
          requestsResentAfter503: responses.filter((r) => r.resent503 > 0).length,
          ...(victim
            ? {
                apis: apis.length,
                workers: ctx.topology.workers,
                // Request i went first to API i mod n; the victim is API 0.
                requestsSentToKilledApi: Math.ceil(p.requests / apis.length),
                retriedOnOtherApi: retried.length,
                retriesAnswered200: retried.filter((r) => r.status === 200).length,
                keysWithNoExecutedResponse: keysExecutedUnseen,
              }
            : { apis: apis.length, workers: ctx.topology.workers }),
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
        if (victim)
          inv.check(
            retried.length > 0,
            'no caller of the killed API had to retry: the scenario tested nothing',
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
