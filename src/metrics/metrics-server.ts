// `superscript worker --metrics-port P`: GET /metrics for a process that serves no API.
import Fastify from 'fastify';
import { metricsRoute, processRegistry } from './exposition.js';

export async function serveMetrics(
  host: string,
  port: number,
  sdkMetricsUrl?: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify();
  metricsRoute(app, [processRegistry()], sdkMetricsUrl);
  const url = await app.listen({ host, port });
  return { url: `${url}/metrics`, close: () => app.close() };
}
