// What a /metrics endpoint answers, in the Prometheus text format: SuperScript's own registries, then the
// SDK Runtime's series read from its private exporter (see sdk-runtime.ts), so one scrape target has both.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, register, type Registry } from 'prom-client';
import { z } from 'zod';

let defaults = false;

/**
 * The process's registry: Node's own metrics (memory, CPU, event loop) and, in a process that hosts a
 * worker, the scripts running in it (see worker/activity-observer.ts).
 */
export function processRegistry(): Registry {
  if (!defaults) collectDefaultMetrics();
  defaults = true;
  return register;
}

/** Serves GET /metrics on `app`: the registries' series, then the SDK's from `sdkMetricsUrl` if given. */
export function metricsRoute(app: FastifyInstance, registries: Registry[], sdkMetricsUrl?: string): void {
  // Scrapes come every few seconds: their request lines would drown the ones about runs.
  // Like listing runs: `read`, or a `run:` scope, when the API has tokens.
  const schema = {
    summary: 'Prometheus metrics',
    response: {
      200: {
        description: 'The Prometheus text format.',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  };
  app.get('/metrics', { logLevel: 'warn', schema, config: { auth: 'list' } }, async (_request, reply) => {
    const own = await Promise.all(registries.map((r) => r.metrics()));
    const sdk = sdkMetricsUrl === undefined ? [] : [await sdkMetrics(sdkMetricsUrl)];
    return reply.type(register.contentType).send([...own, ...sdk].join('\n'));
  });
}

async function sdkMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.text();
  } catch (err) {
    // The scrape still gets SuperScript's own series; a comment line says why the SDK's are missing.
    return `# The Temporal SDK's metrics could not be read from ${url}: ${(err as Error).message}\n`;
  }
}
