import type { FastifyInstance } from 'fastify';

/** Answers any method a path does not serve with 405 and the methods it does. */
export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: string[]): void {
  const all = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  app.route({
    method: all.filter((m) => !allowed.includes(m)),
    url,
    config: { auth: 'public' },
    handler: (_request, reply) =>
      reply
        .code(405)
        .header('Allow', allowed.join(', '))
        .send({ error: 'method_not_allowed', message: `${url} accepts ${allowed.join(', ')}.` }),
  });
}
