// The run contract for any registered script: start-or-attach by idempotency key, read, list, cancel, retry,
// resolve.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../../errors.js';
import { validateKey } from '../../runs/keys.js';
import { keysQuery } from '../../runs/list-query.js';
import { retentionDays } from '../../runs/retention.js';
import { scriptRunSpec } from '../../runs/requests.js';
import { resolveRun } from '../../runs/resolve.js';
import { retryRun } from '../../runs/retry.js';
import { runIdParam } from '../auth.js';
import { sendRun } from '../respond.js';
import { bindRunLog } from '../run-log.js';
import { temporalUiLink } from '../temporal-link.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';
import { idParam, journalSchema, listFilters, runAnswers, runSchema, waitQuery } from '../schemas.js';
import { listableScripts, type RunAction } from '../scopes.js';
import { parseWait } from '../wait.js';

const runBodySchema = {
  type: 'object',
  required: ['script'],
  additionalProperties: false,
  properties: { script: { type: 'string' }, args: { type: 'object' }, key: { type: 'string' } },
} as const;

const retryBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reason: { type: 'string', maxLength: 1000 },
    runId: { type: 'string', maxLength: 100 },
  },
} as const;

const noFieldsSchema = { type: 'object', additionalProperties: false, properties: {} } as const;

const acts = (act: RunAction) => ({ auth: { act, workflowId: runIdParam } });

interface RunRoute {
  Body: { script: string; args?: Record<string, unknown>; key?: string };
  Querystring: { wait?: string };
  Headers: { 'idempotency-key'?: string };
}
interface IdRoute {
  Params: { id: string };
  Querystring: { wait?: string };
  Body?: { reason?: string; runId?: string };
}
interface ListRoute {
  Querystring: { status?: string; script?: string; since?: string; until?: string; limit?: string };
}

export function runRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const startRun = {
    schema: {
      summary: 'Start or attach to the run for a key',
      body: runBodySchema,
      querystring: waitQuery,
      headers: {
        type: 'object',
        properties: {
          'idempotency-key': {
            type: 'string',
            description: 'The key; or "key" in the body (not both, unless equal).',
          },
        },
      },
      response: { ...runAnswers, ...errors(422, 503) },
    },
    config: { auth: { start: (r: FastifyRequest) => (r.body as RunRoute['Body']).script } },
  };
  app.post<RunRoute>('/v1/runs', startRun, async (request, reply) => {
    const wait = parseWait(request.query.wait, deps.waitMs);
    const header = request.headers['idempotency-key'];
    const { key: bodyKey, ...rest } = request.body;
    if (header !== undefined && bodyKey !== undefined && header !== bodyKey) {
      throw new InvalidRequestError(
        'The Idempotency-Key header and "key" in the body differ; send one.',
        'key',
      );
    }
    const key = header ?? bodyKey;
    const spec = scriptRunSpec(deps.registry, deps.runs.taskQueue, {
      args: {},
      ...rest,
      key: key === undefined ? undefined : validateKey(key),
    });
    bindRunLog(request, reply, spec);
    const outcome = await deps.waits.run(wait, reply, (gone) =>
      deps.runs.startOrAttach(spec, wait, gone, request.principal.name),
    );
    return sendRun(reply, outcome, `/v1/runs/${encodeURIComponent(spec.workflowId)}`);
  });

  const listQuery = {
    type: 'object',
    properties: { ...listFilters.properties, script: { type: 'string' } },
  } as const;
  const listAnswer = {
    type: 'object',
    required: ['runs'],
    properties: { runs: { type: 'array', items: runSchema } },
  };
  const list = {
    schema: {
      summary: 'List runs',
      querystring: listQuery,
      response: { 200: listAnswer, ...errors(400, 503) },
    },
    config: { auth: 'list' as const },
  };
  app.get<ListRoute>('/v1/runs', list, async (request) => {
    return { runs: await deps.runs.list(keysQuery(request.query, listableScripts(request.principal))) };
  });

  const read = {
    summary: 'One run',
    params: idParam('id'),
    response: {
      200: {
        ...runSchema,
        properties: {
          ...runSchema.properties,
          dedupWindowDays: {
            type: ['number', 'null'],
            description:
              'Days after its run ends that the key store remembers the key (and so answers for it); null: until removed with keys prune.',
          },
          historyDays: {
            type: 'number',
            description:
              "Days after it closes that Temporal keeps the run's history (the namespace's retention).",
          },
          temporalUrl: {
            type: 'string',
            description:
              "The workflow in Temporal's Web UI, when SUPERSCRIPT_TEMPORAL_UI_URL (or dev) names it.",
          },
          verifiable: {
            type: 'boolean',
            description:
              'The script has a verify command: an unknown outcome can be resolved (POST .../resolve).',
          },
        },
      },
      ...errors(400, 404, 503),
    },
  };
  app.get<IdRoute>('/v1/runs/:id', { schema: read, config: acts('read') }, async (request) => {
    const [run, historyDays] = await Promise.all([
      deps.runs.read(validateKey(request.params.id, 'id')),
      retentionDays(deps.runs.client),
    ]);
    const dedupWindowDays = deps.keyRetentionDays ?? null;
    const temporalUrl = temporalUiLink(deps.temporalUiUrl, deps.runs.client.options.namespace, run);
    const script = run.request?.script;
    // Whether an unknown outcome can be resolved by asking the script's verify command.
    const verifiable =
      script !== undefined &&
      deps.registry.names().includes(script) &&
      Boolean(deps.registry.get(script).verify);
    return { ...run, dedupWindowDays, historyDays, temporalUrl, verifiable };
  });

  // Requests for the key as this API process answered them: Temporal keeps only the run they led to.
  const requests = {
    summary: "The requests this API process answered for a run's key",
    params: idParam('id'),
    response: { 200: journalSchema, ...errors(400, 404, 503) },
  };
  app.get<IdRoute>('/v1/runs/:id/requests', { schema: requests, config: acts('read') }, async (request) => {
    const id = validateKey(request.params.id, 'id');
    await deps.runs.scriptOf(id); // only a SuperScript run's key has a journal to show
    return { workflowId: id, ...app.requestJournal.of(id) };
  });

  const cancel = {
    summary: "End a run's script",
    params: idParam('id'),
    response: { 200: runSchema, ...errors(404, 409, 503) },
  };
  app.post<IdRoute>('/v1/runs/:id/cancel', { schema: cancel, config: acts('cancel') }, async (request) => {
    const run = await deps.runs.cancel(validateKey(request.params.id, 'id'));
    return { ...run, status: 'cancelling' };
  });

  app.post<IdRoute>(
    '/v1/runs/:id/retry',
    {
      schema: {
        summary: 'Retry a run explicitly',
        params: idParam('id'),
        querystring: waitQuery,
        body: { ...retryBodySchema, nullable: true },
        response: { ...runAnswers, ...errors(404, 409, 503) },
      },
      config: acts('retry'),
    },
    async (request, reply) => {
      const id = validateKey(request.params.id, 'id');
      const wait = parseWait(request.query.wait, deps.waitMs);
      const who = {
        // Who retried is the token, never what the body claims.
        by: request.principal.name,
        reason: request.body?.reason,
        runId: request.body?.runId,
      };
      const outcome = await deps.waits.run(wait, reply, (gone) =>
        retryRun(deps.runs, deps.registry, id, who, wait, gone),
      );
      return sendRun(reply, outcome, `/v1/runs/${encodeURIComponent(id)}`);
    },
  );

  app.post<IdRoute>(
    '/v1/runs/:id/resolve',
    // Resolving is deciding what a retry may do next: the same scope. Who asked is the token.
    {
      schema: {
        summary: 'Resolve an unknown outcome with verify',
        params: idParam('id'),
        querystring: waitQuery,
        body: { ...noFieldsSchema, nullable: true },
        response: { ...runAnswers, ...errors(404, 409, 503) },
      },
      config: acts('retry'),
    },
    async (request, reply) => {
      const id = validateKey(request.params.id, 'id');
      const wait = parseWait(request.query.wait, deps.waitMs);
      const outcome = await deps.waits.run(wait, reply, (gone) =>
        resolveRun(deps.runs, deps.registry, id, request.principal.name, wait, gone),
      );
      return sendRun(reply, outcome, `/v1/runs/${encodeURIComponent(id)}`);
    },
  );

  refuseOtherMethods(app, '/v1/runs', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/runs/:id', ['GET']);
  refuseOtherMethods(app, '/v1/runs/:id/requests', ['GET']);
  refuseOtherMethods(app, '/v1/runs/:id/cancel', ['POST']);
  refuseOtherMethods(app, '/v1/runs/:id/retry', ['POST']);
  refuseOtherMethods(app, '/v1/runs/:id/resolve', ['POST']);
}
