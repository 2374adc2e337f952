// Bearer tokens and scopes for every route. Each route declares in its config what it needs
// (`config: { auth: ... }`); a route that declares nothing fails at start-up, so none is open by mistake.
// Authentication (401) runs before the body is read; authorization (403) runs after validation and
// before the handler, so a refused request never starts, cancels or retries anything.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenStore } from '../config/tokens.js';
import { ForbiddenError, RunNotFoundError, UnauthenticatedError } from '../errors.js';
import {
  OPEN_PRINCIPAL,
  mayActOnAny,
  mayAct,
  mayEverAct,
  mayRun,
  maySchedule,
  neededFor,
  type Principal,
  type RunAction,
} from './scopes.js';

/**
 * What a route needs:
 * - `'public'`: nothing (health, 405 answers, the web page's files);
 * - `'authenticated'`: a valid token, whatever its scopes (who am I);
 * - `'list'`: `read`, or a `run:` scope (the listing is then narrowed to those scripts);
 * - `'admin'`: the `admin` scope (removing keys from the key store);
 * - `{ start }`: `run:<script>` for the script the request would start;
 * - `{ schedule }`: the `schedule` scope, and `run:<script>` when the request names the script its schedule
 *   will run (creating one);
 * - `{ act, workflowId }`: the action on the existing run under that workflow ID, checked against the
 *   script the run records.
 */
export type RouteAuth =
  | 'public'
  | 'authenticated'
  | 'list'
  | 'admin'
  | { start: (request: FastifyRequest) => string }
  | { schedule: (request: FastifyRequest) => string | undefined }
  | { act: RunAction; workflowId: (request: FastifyRequest) => string };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** Who is calling; set for every route that is not public. */
    principal: Principal;
  }
}

export interface AuthOptions {
  /** Without tokens the API is open: every caller is OPEN_PRINCIPAL (loopback only, see access.ts). */
  tokens?: TokenStore;
  /** The script the run under a workflow ID records; RunNotFoundError when there is no such run. */
  scriptOf: (workflowId: string) => Promise<string | undefined>;
}

/** The `:id` of `/v1/runs/:id/...` routes, a key its route's schema (RunIdParams) has checked. */
export const runIdParam = (request: FastifyRequest): string => (request.params as { id: string }).id;

/** Installs the hooks; call before the routes are added. */
export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRoute', (route) => {
    if (route.config?.auth === undefined) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no auth (config.auth).`);
    }
  });
  app.addHook('onRequest', async (request) => {
    // Only the not-found handler has no declaration (routes without one cannot be added).
    const auth = request.routeOptions.config.auth ?? 'public';
    if (auth === 'public') return;
    request.principal = opts.tokens
      ? authenticate(opts.tokens, request.headers.authorization)
      : OPEN_PRINCIPAL;
  });
  app.addHook('preHandler', async (request) => {
    const auth = request.routeOptions.config.auth ?? 'public';
    if (auth !== 'public') await authorize(request, auth, opts);
  });
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

function authenticate(tokens: TokenStore, header: string | undefined): Principal {
  if (header === undefined) {
    throw new UnauthenticatedError(
      'This API needs a token: send "Authorization: Bearer <token>". An operator creates one with `superscript token create --name NAME --scope SCOPE`.',
    );
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined)
    throw new UnauthenticatedError('Malformed Authorization header: send "Authorization: Bearer <token>".');
  const entry = tokens.find(token);
  if (!entry)
    throw new UnauthenticatedError('The token is unknown or revoked; ask an operator for a valid one.');
  return { name: entry.name, scopes: entry.scopes };
}

async function authorize(request: FastifyRequest, auth: Exclude<RouteAuth, 'public'>, opts: AuthOptions) {
  const p = request.principal;
  if (auth === 'authenticated') return;
  if (auth === 'list') {
    if (!mayEverAct(p, 'read')) throw forbidden(p, 'list runs', neededFor('list'));
    return;
  }
  if (auth === 'admin') {
    if (!p.scopes.includes('admin')) throw forbidden(p, 'do this', 'admin');
    return;
  }
  if ('schedule' in auth) {
    if (!maySchedule(p)) throw forbidden(p, 'create, change or delete schedules', 'schedule');
    const script = auth.schedule(request);
    if (script !== undefined && !mayRun(p, script))
      throw forbidden(p, `schedule runs of ${script}`, neededFor('start', script));
    return;
  }
  if ('start' in auth) {
    const script = auth.start(request);
    if (!mayRun(p, script)) throw forbidden(p, `start runs of ${script}`, neededFor('start', script));
    return;
  }
  const { act } = auth;
  if (!mayEverAct(p, act)) throw forbidden(p, `${act} runs`, neededFor(act));
  if (mayActOnAny(p, act)) return;
  const workflowId = auth.workflowId(request);
  const script = await opts.scriptOf(workflowId);
  // A run the caller may not even read is answered as if it did not exist: a token learns nothing about
  // runs outside its scopes, not even that they exist.
  if (!mayAct(p, 'read', script)) throw new RunNotFoundError(workflowId);
  if (script === undefined) throw forbidden(p, `${act} a run that records no script`, 'admin');
  if (!mayAct(p, act, script)) throw forbidden(p, `${act} runs of ${script}`, neededFor(act, script));
}

function forbidden(p: Principal, what: string, needed: string): ForbiddenError {
  return new ForbiddenError(
    `Token "${p.name}" may not ${what}: that needs ${needed}; it has ${p.scopes.join(', ')}.`,
  );
}
