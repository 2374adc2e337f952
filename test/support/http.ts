// Calling the HTTP API from tests, through the one typed client (src/shared/api-client.ts): its `send` takes a
// request exactly as a test writes it (an object body as JSON, a string as is) and any status is an answer.
import { ApiClient, type ApiAnswer } from '../../src/shared/api-client.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever fields they check
export type Answer = ApiAnswer<any>;

/** A `call(method, url, body?, headers?)` against the API at `base()` (read per call: stacks start later). */
export function apiClient(base: () => string) {
  return (method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> =>
    new ApiClient({ baseUrl: base() }).send(method, url, body, headers);
}

/** One call against the API at `base`. */
export function httpJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
  signal?: AbortSignal,
): Promise<Answer> {
  return new ApiClient({ baseUrl: base }).send(method, path, body, headers, signal);
}
