// Who is calling. Without API tokens the API is open: every caller is the local operator with every scope.
// Token authentication replaces `callerOf` with the token's name and scopes.
import type { FastifyRequest } from 'fastify';

export interface Caller {
  /** The token's name, recorded with what the caller did. */
  name: string;
  scopes: readonly string[];
  /** True when the API has no tokens: anyone who reaches it may do anything. */
  open?: boolean;
}

const OPEN_CALLER: Caller = { name: 'local', scopes: ['admin'], open: true };

export function callerOf(_request: FastifyRequest): Caller {
  return OPEN_CALLER;
}

/** The token name to record with what the caller did; none for the open API. */
export function tokenNameOf(request: FastifyRequest): string | undefined {
  const caller = callerOf(request);
  return caller.open ? undefined : caller.name;
}
