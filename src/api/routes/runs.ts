// The run contract for any registered script: start-or-attach by idempotency key, read, list, cancel, retry,
// resolve.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { InvalidRequestError } from '../../errors.js';
import { RunJournal } from '../../shared/schemas/api.js';
import {
  ResolveRequest,
  RetryRequest,
  RunIdParams,
  RunRequest,
  RunRequestHeaders,
  RunsQuery,
  WaitQuery,
} from '../../shared/schemas/runs.js';
import { CancellingRun, RunDetail, RunList } from '../../shared/schemas/views.js';
import { runIdParam } from '../auth.js';
import { answerRun } from '../respond.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors, runAnswers } from '../openapi.js';
import { listableScripts, type RunAction } from '../scopes.js';

const acts = (act: RunAction) => ({ auth: { act, workflowId: runIdParam } });

export function runRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post(
    '/v1/runs',
    {
      schema: {
        summary: 'Start or attach to the run for a key',
        body: RunRequest,
        querystring: WaitQuery,
        headers: RunRequestHeaders,
        response: { ...runAnswers, ...errors(422, 503) },
      },
      config: { auth: { start: (r: FastifyRequest) => (r.body as RunRequest).script } },
    },
    async (request, reply) => {
      const key = oneKey(request.headers['idempotency-key'], request.body.key);
      return answerRun(request, reply, deps, request.query.wait ?? deps.waitMs, (call) =>
        deps.runs.run({ ...request.body, key }, call),
      );
    },
  );

  api.get(
    '/v1/runs',
    {
      schema: {
        summary: 'List runs',
        querystring: RunsQuery,
        response: { 200: RunList, ...errors(400, 503) },
      },
      config: { auth: 'list' },
    },
    async (request) => ({ runs: await deps.runs.list(request.query, listableScripts(request.principal)) }),
  );

  api.get(
    '/v1/runs/:id',
    {
      schema: {
        summary: 'One run',
        params: RunIdParams,
        response: { 200: RunDetail, ...errors(400, 404, 503) },
      },
      config: acts('read'),
    },
    async (request) => deps.runs.read(request.params.id),
  );

  // Requests for the key as this API process answered them: Temporal keeps only the run they led to.
  api.get(
    '/v1/runs/:id/requests',
    {
      schema: {
        summary: "The requests this API process answered for a run's key",
        params: RunIdParams,
        response: { 200: RunJournal, ...errors(400, 404, 503) },
      },
      config: acts('read'),
    },
    async (request) => {
      const { id } = request.params;
      await deps.runs.scriptOf(id); // only a SuperScript run's key has a journal to show
      return { workflowId: id, ...app.requestJournal.of(id) };
    },
  );

  api.post(
    '/v1/runs/:id/cancel',
    {
      schema: {
        summary: "End a run's script",
        params: RunIdParams,
        response: { 200: CancellingRun, ...errors(404, 409, 503) },
      },
      config: acts('cancel'),
    },
    async (request) => deps.runs.cancel(request.params.id),
  );

  api.post(
    '/v1/runs/:id/retry',
    {
      schema: {
        // Who retried is the token (the call's `by`), never what the body claims.
        summary: 'Retry a run explicitly',
        params: RunIdParams,
        querystring: WaitQuery,
        body: RetryRequest,
        response: { ...runAnswers, ...errors(404, 409, 503) },
      },
      config: acts('retry'),
    },
    async (request, reply) =>
      answerRun(request, reply, deps, request.query.wait ?? deps.waitMs, (call) =>
        deps.runs.retry(request.params.id, request.body, call),
      ),
  );

  // Resolving is deciding what a retry may do next: the same scope. Who asked is the token (the call's `by`).
  api.post(
    '/v1/runs/:id/resolve',
    {
      schema: {
        summary: 'Resolve an unknown outcome with verify',
        params: RunIdParams,
        querystring: WaitQuery,
        body: ResolveRequest,
        response: { ...runAnswers, ...errors(404, 409, 503) },
      },
      config: acts('retry'),
    },
    async (request, reply) =>
      answerRun(request, reply, deps, request.query.wait ?? deps.waitMs, (call) =>
        deps.runs.resolve(request.params.id, call),
      ),
  );

  refuseOtherMethods(app, '/v1/runs', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/runs/:id', ['GET']);
  refuseOtherMethods(app, '/v1/runs/:id/requests', ['GET']);
  refuseOtherMethods(app, '/v1/runs/:id/cancel', ['POST']);
  refuseOtherMethods(app, '/v1/runs/:id/retry', ['POST']);
  refuseOtherMethods(app, '/v1/runs/:id/resolve', ['POST']);
}

/** The key a request names: the Idempotency-Key header or `key` in the body, which may both say it alike. */
function oneKey(header: string | undefined, body: string | undefined): string | undefined {
  if (header !== undefined && body !== undefined && header !== body)
    throw new InvalidRequestError(
      'The Idempotency-Key header and "key" in the body differ; send one.',
      'key',
    );
  return header ?? body;
}
