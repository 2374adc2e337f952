import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route only answers 405: it reads nothing and does nothing. */
    refusesMethod?: boolean;
  }
}

/** Answers any method a path does not serve with 405 and the methods it does. */
export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: string[]): void {
  const refuse = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(405)
      .header('Allow', allowed.join(', '))
      .send({ error: 'method_not_allowed', message: `${url} accepts ${allowed.join(', ')}.` });
  app.route({
    // Every method fastify knows but HEAD, which it answers for each GET route by itself.
    method: app.supportedMethods.filter((m) => m !== 'HEAD' && !allowed.includes(m)),
    url,
    config: { auth: 'public', refusesMethod: true },
    // Not part of the API's contract: it says which methods there are.
    schema: { hide: true },
    // Before the body is read: a method with a body (QUERY) would otherwise need a Content-Type first.
    onRequest: refuse,
    handler: refuse,
  });
}
