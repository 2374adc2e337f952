// Who is calling, as the UI and the request journal see it: the token's name and scopes (auth.ts), or the
// open API's local operator when there is no tokens file.
import type { FastifyRequest } from 'fastify';
import type {} from './auth.js'; // the request's `principal`
import type { Caller } from '../shared/schemas/api.js';
import { OPEN_PRINCIPAL } from './scopes.js';

export function callerOf(request: FastifyRequest): Caller {
  const p = request.principal;
  return p === OPEN_PRINCIPAL ? { ...p, open: true } : { name: p.name, scopes: p.scopes };
}

/** The token name to record with what the caller did; none for the open API (or a public route). */
export function tokenNameOf(request: FastifyRequest): string | undefined {
  const p = request.principal as FastifyRequest['principal'] | null;
  return p && p !== OPEN_PRINCIPAL ? p.name : undefined;
}
