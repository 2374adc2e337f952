// R5's authorization cases: the API runs with a tokens file, and every request below would start, cancel,
// retry or read something were its token not refused. Each must get a 4xx that says what is wrong.
import path from 'node:path';
import { createToken, revokeToken } from '../../../src/config/tokens.js';
import type { HttpRequest } from '../http.js';
import type { HostileCase } from './r5-requests.js';

/** The tokens R5's API knows; `revoked` is revoked once the API runs (see revokeWhileRunning). */
export interface R5Tokens {
  file: string;
  admin: string;
  /** run:exit-with only. */
  runExit: string;
  read: string;
  revoked: string;
}

const REVOKED_NAME = 'r5-revoked';

/** Creates the tokens file in `dir`, through the tokens module as `superscript token create` does. */
export function issueTokens(dir: string): R5Tokens {
  const file = path.join(dir, 'tokens.json');
  return {
    file,
    admin: createToken(file, 'r5-admin', ['admin']),
    runExit: createToken(file, 'r5-run-exit-with', ['run:exit-with']),
    read: createToken(file, 'r5-read', ['read']),
    revoked: createToken(file, REVOKED_NAME, ['run:*', 'retry', 'cancel']),
  };
}

/** Revokes the revoked token in the file a running API reads, as `superscript token revoke` does. */
export function revokeWhileRunning(tokens: R5Tokens): void {
  revokeToken(tokens.file, REVOKED_NAME);
}

/** A request as `token` sends it (no token at all when undefined). */
export function withToken(request: HttpRequest, token: string | undefined): HttpRequest {
  if (token === undefined) return request;
  return { ...request, headers: { authorization: `Bearer ${token}`, ...request.headers } };
}

export function authorizationCases(t: string, tokens: R5Tokens): HostileCase[] {
  const json = { 'content-type': 'application/json' };
  const run = `r5-${t}-authz`;
  const batch = `r5-${t}-authz`;
  const payment = { method: 'POST', path: '/v1/payments', body: { orderId: `r5${t}auth`, amount: 10 } };
  const startRun = (script: string, args: object) => ({
    method: 'POST',
    path: '/v1/runs',
    headers: { 'idempotency-key': `${run}-${script}` },
    body: { script, args },
  });
  const post = (p: string) => ({ method: 'POST', path: p, headers: json });
  const routes: [string, HttpRequest][] = [
    ['POST /v1/payments', payment],
    ['POST /v1/runs', startRun('exit-with', { code: 0 })],
    ['GET /v1/runs', { method: 'GET', path: '/v1/runs' }],
    ['GET /v1/runs/:id', { method: 'GET', path: `/v1/runs/${run}` }],
    ['POST /v1/runs/:id/cancel', post(`/v1/runs/${run}/cancel`)],
    ['POST /v1/runs/:id/retry', post(`/v1/runs/${run}/retry`)],
    ['POST /v1/runs/:id/resolve', post(`/v1/runs/${run}/resolve`)],
    [
      'POST /v1/batches',
      {
        method: 'POST',
        path: '/v1/batches',
        body: { batchId: batch, orders: [{ orderId: `r5${t}b`, amount: 1 }] },
      },
    ],
    ['GET /v1/batches/:id', { method: 'GET', path: `/v1/batches/${batch}` }],
    ['GET /v1/batches/:id/orders', { method: 'GET', path: `/v1/batches/${batch}/orders` }],
    ['POST /v1/batches/:id/cancel', post(`/v1/batches/${batch}/cancel`)],
    ['GET /metrics', { method: 'GET', path: '/metrics' }],
  ];
  const as = (
    name: string,
    token: string | undefined,
    request: HttpRequest,
    expect: number,
    mentions: RegExp,
  ) => ({
    name,
    request: withToken(request, token),
    expect: [expect],
    mentions,
  });
  const bearer = (value: string) => ({ ...payment, headers: { authorization: value } });

  return [
    ...routes.map(([route, request]) => as(`no token: ${route}`, undefined, request, 401, /Bearer/)),
    as('malformed: Basic', undefined, bearer('Basic cjU6cjU='), 401, /Malformed/),
    as('malformed: Bearer and nothing', undefined, bearer('Bearer'), 401, /Malformed/),
    as(
      'malformed: two tokens',
      undefined,
      bearer(`Bearer ${tokens.admin} ${tokens.admin}`),
      401,
      /Malformed/,
    ),
    as('unknown token', 'ss_not-a-token-anyone-was-given', payment, 401, /unknown or revoked/),
    as('revoked while the API runs', tokens.revoked, startRun('exit-with', { code: 0 }), 401, /revoked/),
    as('read token starts a payment', tokens.read, payment, 403, /run:collect-payment/),
    as('read token starts a batch', tokens.read, routes[7]![1], 403, /run:collect-payment/),
    as(
      'run:exit-with starts sleeper',
      tokens.runExit,
      startRun('sleeper', { seconds: 0, tag: `r5-${t}` }),
      403,
      /run:sleeper/,
    ),
    as('run:exit-with starts a payment', tokens.runExit, payment, 403, /run:collect-payment/),
    as('run:exit-with retries', tokens.runExit, post(`/v1/runs/${run}/retry`), 403, /retry/),
    as('run:exit-with cancels', tokens.runExit, post(`/v1/runs/${run}/cancel`), 403, /cancel/),
    as('run:exit-with resolves', tokens.runExit, post(`/v1/runs/${run}/resolve`), 403, /retry/),
    as('read token cancels', tokens.read, post(`/v1/runs/${run}/cancel`), 403, /cancel/),
    as('read token cancels a batch', tokens.read, post(`/v1/batches/${batch}/cancel`), 403, /cancel/),
    as('Host not local', tokens.admin, { ...payment, headers: { host: 'evil.example.com' } }, 421, /Host/),
    as(
      'Host rebinding suffix',
      tokens.admin,
      { ...payment, headers: { host: 'localhost.evil.example' } },
      421,
      /Host/,
    ),
    as(
      'admin POST as text/plain',
      tokens.admin,
      { ...payment, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(payment.body) },
      415,
      /JSON/,
    ),
    as(
      'admin bodyless cancel, no content type',
      tokens.admin,
      { method: 'POST', path: `/v1/runs/${run}/cancel` },
      415,
      /JSON/,
    ),
  ];
}
