// Calling the HTTP API from tests, through the one typed client (src/shared/api-client.ts): its `send` takes a
// request exactly as a test writes it (an object body as JSON, a string as is) and any status is an answer; and
// reading a batch or a decision until it has ended.
import assert from 'node:assert/strict';
import { ApiClient, type ApiAnswer } from '../../src/shared/api-client.js';
import { eventually } from './poll.js';

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

/**
 * Reads `read` (a GET of a batch or a decision) until it answers 200 with a status other than `running`: that
 * answer's body.
 */
export function untilEnded(
  what: string,
  read: () => Promise<Answer>,
  timeoutMs: number,
): Promise<Answer['body']> {
  return eventually(
    `${what} to end`,
    async () => {
      const res = await read();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.status === 'running' ? undefined : res.body;
    },
    timeoutMs,
    100,
  );
}
