// Schedules over HTTP: create, list, describe, pause and unpause (with a note), trigger, backfill and delete,
// each a parse, one call to the ScheduleService, and a reply. Reading takes what listing runs takes, and
// shows only schedules of scripts the caller may read; changing takes the `schedule` scope, and creating
// also `run:` for the script, whose fires run with the creator's authority.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ScheduleNotFoundError } from '../../errors.js';
import {
  BackfillRequest,
  Deleted,
  PauseRequest,
  ScheduleList,
  ScheduleParams,
  ScheduleRequest,
  ScheduleView,
} from '../../shared/schemas/schedules.js';
import type { ApiDeps } from '../deps.js';
import { refuseOtherMethods } from '../methods.js';
import { errors } from '../openapi.js';
import { listableScripts } from '../scopes.js';

/** Changing a schedule takes the `schedule` scope; creating one names its script, which the caller must run. */
const changes = { auth: { schedule: () => undefined } };
const creates = { auth: { schedule: (r: FastifyRequest) => (r.body as ScheduleRequest).script } };

export function scheduleRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { schedules } = deps;
  const one = { params: ScheduleParams, response: { 200: ScheduleView, ...errors(400, 404, 503) } };

  api.post(
    '/v1/schedules',
    {
      schema: {
        summary: 'Create a schedule: its fires run the script under keys made from the fire times',
        body: ScheduleRequest,
        response: { 201: ScheduleView, ...errors(400, 409, 503) },
      },
      config: creates,
    },
    async (request, reply) =>
      reply.code(201).send(await schedules.create(request.body, request.principal.name)),
  );

  api.get(
    '/v1/schedules',
    {
      schema: { summary: 'List schedules', response: { 200: ScheduleList, ...errors(503) } },
      config: { auth: 'list' },
    },
    async (request) => {
      const scripts = listableScripts(request.principal);
      const all = await schedules.list();
      return { schedules: all.filter((s) => !scripts || scripts.includes(s.script)) };
    },
  );

  api.get(
    '/v1/schedules/:name',
    { schema: { summary: 'One schedule, its next fires and its last', ...one }, config: { auth: 'list' } },
    async (request) => {
      const view = await schedules.describe(request.params.name);
      const scripts = listableScripts(request.principal);
      // A schedule of a script the caller may not read is answered as if it did not exist.
      if (scripts && !scripts.includes(view.script)) throw new ScheduleNotFoundError(view.name);
      return view;
    },
  );

  api.post(
    '/v1/schedules/:name/pause',
    { schema: { summary: 'Pause a schedule, saying why', body: PauseRequest, ...one }, config: changes },
    async (request) => schedules.pause(request.params.name, request.body?.note),
  );

  api.post(
    '/v1/schedules/:name/unpause',
    { schema: { summary: 'Unpause a schedule', body: PauseRequest, ...one }, config: changes },
    async (request) => schedules.unpause(request.params.name, request.body?.note),
  );

  api.post(
    '/v1/schedules/:name/trigger',
    { schema: { summary: 'Fire a schedule now', ...one }, config: changes },
    async (request) => schedules.trigger(request.params.name),
  );

  api.post(
    '/v1/schedules/:name/backfill',
    {
      schema: { summary: 'Take the fires a schedule had between two times', body: BackfillRequest, ...one },
      config: changes,
    },
    async (request) => schedules.backfill(request.params.name, request.body),
  );

  api.delete(
    '/v1/schedules/:name',
    {
      schema: {
        summary: 'Delete a schedule (its runs and keys stay)',
        params: ScheduleParams,
        response: { 200: Deleted, ...errors(400, 404, 503) },
      },
      config: changes,
    },
    async (request) => schedules.delete(request.params.name),
  );

  refuseOtherMethods(app, '/v1/schedules', ['GET', 'POST']);
  refuseOtherMethods(app, '/v1/schedules/:name', ['GET', 'DELETE']);
  for (const verb of ['pause', 'unpause', 'trigger', 'backfill'])
    refuseOtherMethods(app, `/v1/schedules/:name/${verb}`, ['POST']);
}
