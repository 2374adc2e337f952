// The one HTTP client of the SuperScript API, for the CLI, the web UI and the tests: a method per route, its
// request and its answer typed by the types inferred from the API's zod schemas. It imports them as types
// only and uses nothing but fetch, so it runs in Node and in the browser and carries no zod into either.
import type { Caller, ErrorBody, Health, RunJournal } from './schemas/api.js';
import type {
  BatchList,
  BatchPlanReport,
  BatchRequest,
  BatchView,
  BatchesQuery,
  CancelBatchRequest,
  CancellingBatch,
  DecisionAction,
  DecisionList,
  DecisionView,
  OrderRequest,
  OrdersPage,
  OrdersQuery,
} from './schemas/batches.js';
import type { KeyReport, PruneAnswer } from './schemas/keys.js';
import type { NotificationsAnswer, NotificationsQuery } from './schemas/notifications.js';
import type { RetryRequest, RunRequest, RunsQuery } from './schemas/runs.js';
import type { ScriptList } from './schemas/scripts.js';
import type {
  BackfillRequest,
  Deleted,
  ScheduleList,
  ScheduleRequest,
  ScheduleView,
} from './schemas/schedules.js';
import type { CancellingRun, RunAnswer, RunDetail, RunList } from './schemas/views.js';

export interface ApiAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A query as a caller has it, before the API checks it: each field as text or a number (the CLI passes what
 * was typed, and the API's schema says what was wrong with it).
 */
export type Query<T> = { [K in keyof T]?: string | number };

/** `?wait=`: how long a start waits for the run's result before the API answers 202 (500ms, 30s, 2m). */
export type Waiting = { wait?: string };

/** What went wrong with a call, for `ApiClientOptions.failure` to turn into the caller's own error. */
export type ApiFailure =
  | { kind: 'unreachable'; url: URL; cause: Error }
  /** An answer that is not SuperScript's JSON: something else answers at that address. */
  | { kind: 'not-json'; url: URL; status: number }
  | { kind: 'refused'; url: URL; status: number; body: ErrorBody };

/** An answer of 400 and up, with the API's own `{error, message, field}`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

/** No answer: nothing listens at the API's address, or the answer was not SuperScript's JSON. */
export class ApiNotReachedError extends Error {
  override name = 'ApiNotReachedError';
}

export interface ApiClientOptions {
  /** Where the API is (the web UI's own origin). */
  baseUrl: string;
  /** The bearer token to send, read per call (the web UI's can change). */
  token?: () => string | undefined;
  /**
   * Asked when the API answers 401: whether to try the call again (the web UI asks its user for a token,
   * which `token` then reads); without it a 401 is thrown as any refusal.
   */
  unauthorized?: (message: string, hadToken: boolean) => Promise<boolean>;
  /** How long a call waits for its answer before it gives up (as unreachable). Default: as long as it takes. */
  timeoutMs?: number;
  /** The error a failed call throws. Default: ApiError for a refusal, ApiNotReachedError otherwise. */
  failure?: (failure: ApiFailure) => Error;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** POST /v1/payments: the payment script, once per order. */
  pay(order: OrderRequest, o: Waiting = {}): Promise<ApiAnswer<RunAnswer>> {
    return this.call('POST', withQuery('/v1/payments', o), order);
  }

  /** POST /v1/runs: a registered script under its key, once. */
  run(request: RunRequest, o: Waiting = {}): Promise<ApiAnswer<RunAnswer>> {
    return this.call('POST', withQuery('/v1/runs', o), request);
  }

  /** POST /v1/runs/{id}/retry. */
  retry(workflowId: string, request: RetryRequest = {}, o: Waiting = {}): Promise<ApiAnswer<RunAnswer>> {
    return this.call('POST', withQuery(`${runPath(workflowId)}/retry`, o), request ?? {});
  }

  /** POST /v1/runs/{id}/resolve. */
  resolve(workflowId: string, o: Waiting = {}): Promise<ApiAnswer<RunAnswer>> {
    return this.call('POST', withQuery(`${runPath(workflowId)}/resolve`, o));
  }

  /** GET /v1/runs/{id}, or the `Location` a 202 names. */
  read(workflowIdOrLocation: string): Promise<RunDetail> {
    const path = workflowIdOrLocation.startsWith('/') ? workflowIdOrLocation : runPath(workflowIdOrLocation);
    return this.body('GET', path);
  }

  /** GET /v1/runs/{id}/requests. */
  requests(workflowId: string): Promise<RunJournal> {
    return this.body('GET', `${runPath(workflowId)}/requests`);
  }

  /** GET /v1/runs. */
  list(query: Query<RunsQuery> = {}): Promise<RunList> {
    return this.body('GET', withQuery('/v1/runs', query));
  }

  /** GET /v1/scripts: the registered scripts and the arguments they take. */
  scripts(): Promise<ScriptList> {
    return this.body('GET', '/v1/scripts');
  }

  /** POST /v1/runs/{id}/cancel. */
  cancel(workflowId: string): Promise<CancellingRun> {
    return this.body('POST', `${runPath(workflowId)}/cancel`);
  }

  /** POST /v1/batches. */
  startBatch(request: BatchRequest, o: Waiting = {}): Promise<ApiAnswer<RunAnswer>> {
    return this.call('POST', withQuery('/v1/batches', o), request);
  }

  /** POST /v1/batches/plan. */
  planBatch(request: BatchRequest): Promise<BatchPlanReport> {
    return this.body('POST', '/v1/batches/plan', request);
  }

  /** GET /v1/batches/{batchId}. */
  readBatch(batchId: string): Promise<BatchView> {
    return this.body('GET', batchPath(batchId));
  }

  /** GET /v1/batches/{batchId}/orders. */
  batchOrders(batchId: string, query: Query<OrdersQuery> = {}): Promise<OrdersPage> {
    return this.body('GET', withQuery(`${batchPath(batchId)}/orders`, query));
  }

  /** GET /v1/batches. */
  listBatches(query: Query<BatchesQuery> = {}): Promise<BatchList> {
    return this.body('GET', withQuery('/v1/batches', query));
  }

  /** POST /v1/batches/{batchId}/decisions/{action}: retry its failed orders or resolve its unknown ones. */
  decideBatch(batchId: string, action: DecisionAction): Promise<DecisionView> {
    return this.body('POST', `${batchPath(batchId)}/decisions/${action}`, {});
  }

  /** GET /v1/batches/{batchId}/decisions. */
  batchDecisions(batchId: string): Promise<DecisionList> {
    return this.body('GET', `${batchPath(batchId)}/decisions`);
  }

  /** GET /v1/batches/{batchId}/decisions/{action}. */
  readDecision(batchId: string, action: DecisionAction): Promise<DecisionView> {
    return this.body('GET', `${batchPath(batchId)}/decisions/${action}`);
  }

  /** POST /v1/batches/{batchId}/cancel. */
  cancelBatch(batchId: string, request: CancelBatchRequest = {}): Promise<CancellingBatch> {
    return this.body('POST', `${batchPath(batchId)}/cancel`, request ?? {});
  }

  /** GET /v1/keys/{key}. */
  keyReport(key: string): Promise<KeyReport> {
    return this.body('GET', `/v1/keys/${encodeURIComponent(key)}`);
  }

  /** POST /v1/keys/prune. */
  pruneKeys(before: string): Promise<PruneAnswer> {
    return this.body('POST', '/v1/keys/prune', { before });
  }

  /** GET /v1/notifications (admin). */
  notifications(query: Query<NotificationsQuery> = {}): Promise<NotificationsAnswer> {
    return this.body('GET', withQuery('/v1/notifications', query));
  }

  /** POST /v1/schedules. */
  createSchedule(request: ScheduleRequest): Promise<ScheduleView> {
    return this.body('POST', '/v1/schedules', request);
  }

  /** GET /v1/schedules. */
  listSchedules(): Promise<ScheduleList> {
    return this.body('GET', '/v1/schedules');
  }

  /** GET /v1/schedules/{name}. */
  describeSchedule(name: string): Promise<ScheduleView> {
    return this.body('GET', schedulePath(name));
  }

  /** POST /v1/schedules/{name}/pause or /unpause, with a note saying why. */
  pauseSchedule(name: string, paused: boolean, note?: string): Promise<ScheduleView> {
    return this.body('POST', `${schedulePath(name)}/${paused ? 'pause' : 'unpause'}`, note ? { note } : {});
  }

  /** POST /v1/schedules/{name}/trigger. */
  triggerSchedule(name: string): Promise<ScheduleView> {
    return this.body('POST', `${schedulePath(name)}/trigger`, {});
  }

  /** POST /v1/schedules/{name}/backfill. */
  backfillSchedule(name: string, request: BackfillRequest): Promise<ScheduleView> {
    return this.body('POST', `${schedulePath(name)}/backfill`, request);
  }

  /** DELETE /v1/schedules/{name}. */
  deleteSchedule(name: string): Promise<Deleted> {
    return this.body('DELETE', schedulePath(name));
  }

  /** GET /v1/whoami. */
  whoami(): Promise<Caller> {
    return this.body('GET', '/v1/whoami');
  }

  /** GET /healthz, answered 200 or 503: both are answers. */
  health(): Promise<ApiAnswer<Health>> {
    return this.send('GET', '/healthz');
  }

  /**
   * One request exactly as given, whatever it is answered (tests send what no method would); an object body
   * is sent as JSON, a string as is. Throws only when there is no answer (or `signal` gave up on it).
   */
  async send<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<ApiAnswer<T>> {
    const url = new URL(path, this.options.baseUrl);
    const sent: Record<string, string> = { accept: 'application/json' };
    const token = this.options.token?.();
    if (token) sent.authorization = `Bearer ${token}`;
    // Every POST is JSON, bodyless ones too: the API refuses anything else.
    if (body !== undefined || method === 'POST') sent['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...sent, ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: this.givesUp(signal),
      });
    } catch (err) {
      throw this.failed({ kind: 'unreachable', url, cause: err as Error });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw this.failed({ kind: 'not-json', url, status: res.status });
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  /** A call whose answer of 400 and up is thrown as the error it stands for. */
  private async call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const answer = await this.send<T | ErrorBody>(method, path, body);
    if (answer.status < 400) return answer as ApiAnswer<T>;
    const refusal = errorBody(answer.status, answer.body);
    const { token, unauthorized } = this.options;
    if (answer.status === 401 && (await unauthorized?.(refusal.message, Boolean(token?.()))))
      return this.call(method, path, body);
    const url = new URL(path, this.options.baseUrl);
    throw this.failed({ kind: 'refused', url, status: answer.status, body: refusal });
  }

  private async body<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.call<T>(method, path, body)).body;
  }

  /** The caller's signal, and the client's timeout, whichever gives up first. */
  private givesUp(signal: AbortSignal | undefined): AbortSignal | undefined {
    const { timeoutMs } = this.options;
    if (timeoutMs === undefined) return signal;
    const timeout = AbortSignal.timeout(timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  private failed(failure: ApiFailure): Error {
    if (this.options.failure) return this.options.failure(failure);
    if (failure.kind === 'refused') return new ApiError(failure.status, failure.body);
    return new ApiNotReachedError(
      failure.kind === 'unreachable'
        ? `Cannot reach the SuperScript API at ${failure.url.origin} (${failure.cause.message}).`
        : `${failure.url.origin} answered ${failure.status} with something that is not SuperScript's JSON.`,
    );
  }
}

/** A refusal's body as the API sends it, or one that says the status when there is none. */
function errorBody(status: number, body: unknown): ErrorBody {
  const given = body as Partial<ErrorBody> | undefined;
  return {
    error: given?.error ?? 'error',
    message: given?.message ?? `The API answered ${status}.`,
    ...(given?.field === undefined ? {} : { field: given.field }),
  };
}

function runPath(workflowId: string): string {
  return `/v1/runs/${encodeURIComponent(workflowId)}`;
}

function batchPath(batchId: string): string {
  return `/v1/batches/${encodeURIComponent(batchId)}`;
}

/** `path` with the query's given fields. */
function withQuery(path: string, query: { [name: string]: string | number | undefined }): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) q.set(name, String(value));
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

function schedulePath(name: string): string {
  return `/v1/schedules/${encodeURIComponent(name)}`;
}
