// One error shape for every failure: {error, message, field?}, with the status the error class implies.
import {
  errorCodes,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaValidationError,
} from 'fastify';
import {
  CallerGoneError,
  ConfigError,
  ForbiddenError,
  InvalidRequestError,
  KeyConflictError,
  KeyStoreUnavailableError,
  RunNotFoundError,
  RunStateError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  TemporalUnavailableError,
  TooBusyError,
  UnauthenticatedError,
  WrongHostError,
} from '../errors.js';
import type { ErrorBody } from '../shared/schemas/api.js';
import { BODY_LIMIT } from './limits.js';
import { mayAct } from './scopes.js';

const { FST_ERR_CTP_EMPTY_JSON_BODY } = errorCodes;

/** `bodyLimit`: the limit of the route the request was for, which a 413 names. */
export function errorResponse(
  err: unknown,
  bodyLimit = BODY_LIMIT,
): {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
} {
  if (err instanceof UnauthenticatedError) {
    return {
      status: 401,
      body: { error: 'unauthorized', message: err.message },
      headers: { 'WWW-Authenticate': 'Bearer realm="superscript"' },
    };
  }
  if (err instanceof ForbiddenError)
    return { status: 403, body: { error: 'forbidden', message: err.message } };
  if (err instanceof WrongHostError)
    return { status: 421, body: { error: 'misdirected_request', message: err.message } };
  if (err instanceof InvalidRequestError)
    return { status: 400, body: { error: 'invalid_request', message: err.message, field: err.field } };
  if (err instanceof KeyConflictError)
    return { status: 422, body: { error: 'key_conflict', message: err.message } };
  if (err instanceof RunNotFoundError)
    return { status: 404, body: { error: 'not_found', message: err.message } };
  if (err instanceof ScheduleNotFoundError)
    return { status: 404, body: { error: 'not_found', message: err.message } };
  if (err instanceof ScheduleExistsError)
    return { status: 409, body: { error: 'conflict', message: err.message } };
  if (err instanceof RunStateError) return { status: 409, body: { error: 'conflict', message: err.message } };
  if (err instanceof TooBusyError) return { status: 503, body: { error: 'busy', message: err.message } };
  if (err instanceof CallerGoneError)
    return { status: 499, body: { error: 'caller_gone', message: err.message } };
  if (err instanceof TemporalUnavailableError || err instanceof KeyStoreUnavailableError) {
    return { status: 503, body: { error: 'unavailable', message: err.message } };
  }
  if (isTemporalUnreachable(err)) {
    return {
      status: 503,
      body: {
        error: 'unavailable',
        message:
          'Temporal is unreachable right now. Send the same request again shortly: under the same key it cannot run twice.',
      },
    };
  }
  if (err instanceof ConfigError) return { status: 500, body: { error: 'config', message: err.message } };
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return { status: 400, body: invalid(fe.validationContext, fe.validation[0]) };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: { error: clientErrorName(fe), message: clientErrorMessage(fe, bodyLimit) },
    };
  }
  return {
    status: 500,
    body: { error: 'internal', message: 'Internal error; the server log has the details.' },
  };
}

export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // The JSON parser takes an empty body as none (bodyless POSTs carry the JSON type too); a route that
  // needs a body then fails validation, which is said as what it is.
  const bodyMissing =
    (err as Partial<FastifyError>).validationContext === 'body' && request.body === undefined;
  const { status, body, headers } = errorResponse(
    bodyMissing ? new FST_ERR_CTP_EMPTY_JSON_BODY() : unrevealing(err, request),
    request.routeOptions.bodyLimit,
  );
  request.server.requestMetrics.failed(request, err, status);
  request.server.requestJournal.failed(request, err);
  if (status >= 500 && !(err instanceof TooBusyError)) request.log.error({ err }, 'request failed');
  // Every 503 (Temporal unreachable, too many waits) is worth sending again: say when.
  if (status === 503) reply.header('Retry-After', '1');
  return reply
    .code(status)
    .headers(headers ?? {})
    .send(body);
}

/**
 * A key conflict told to a caller that may not read the runs of the script holding the key: that the key is
 * taken, and nothing about what holds it (its script, its run, its arguments).
 */
function unrevealing(err: unknown, request: FastifyRequest): unknown {
  if (!(err instanceof KeyConflictError) || err.heldFor === undefined) return err;
  if (request.principal && mayAct(request.principal, 'read', err.heldFor)) return err;
  return err.toReaderOf(undefined);
}

function clientErrorName(err: Partial<FastifyError>): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    default:
      return 'invalid_request';
  }
}

function clientErrorMessage(err: Partial<FastifyError>, bodyLimit: number): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The request body is too large: the limit is ${bodyLimit / 1024 / 1024} MiB.`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Send POST requests as JSON, with Content-Type: application/json, also those without a body.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The body is empty; send a JSON object.';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // fastify's parser does not say which: malformed, or a prototype-poisoning key it refuses.
      return 'The body is not valid JSON, or holds a forbidden "__proto__" or "constructor.prototype" key.';
    default:
      return err.message ?? 'Bad request.';
  }
}

/**
 * The first problem a route's zod schema found (fastify-type-provider-zod hands zod's issues over as
 * `{keyword: issue code, instancePath, message, params: the issue's other fields}`), with `field` naming its
 * path as callers write it: `orders[3].amount`; `body` (or `querystring`, ...) when it is the whole part.
 */
function invalid(context: string | undefined, issue: FastifySchemaValidationError | undefined): ErrorBody {
  const path = issue?.instancePath.split('/').filter(Boolean) ?? [];
  const unknown = issue?.keyword === 'unrecognized_keys' ? (issue.params.keys as string[])[0] : undefined;
  const what = unknown === undefined ? (issue?.message ?? 'is invalid') : `unknown field "${unknown}"`;
  const message = `${fieldOf(path) || context || 'request'}: ${what}`;
  return {
    error: 'invalid_request',
    message: /[.!?]$/.test(message) ? message : `${message}.`,
    field: fieldOf(unknown === undefined ? path : [...path, unknown]) || context,
  };
}

function fieldOf(path: string[]): string {
  return path.reduce((at, part) => (/^\d+$/.test(part) ? `${at}[${part}]` : at ? `${at}.${part}` : part), '');
}

/** A gRPC UNAVAILABLE (code 14) from the Temporal client, directly or as a ServiceError's cause. */
function isTemporalUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === 14 || e?.cause?.code === 14;
}
