// `superscript worker --metrics-port P`: GET /metrics for a process that serves no API.
import Fastify from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { metricsRoute, processRegistry } from './exposition.js';

export async function serveMetrics(
  host: string,
  port: number,
  sdkMetricsUrl?: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify();
  // The route's answer is declared in zod, as the API's are.
  app.setSerializerCompiler(serializerCompiler);
  metricsRoute(app, [processRegistry()], sdkMetricsUrl);
  const url = await app.listen({ host, port });
  return { url: `${url}/metrics`, close: () => app.close() };
}
