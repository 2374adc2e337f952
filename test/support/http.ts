// Calling the HTTP API from tests: JSON in, status and parsed JSON out.

export interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever fields they check
  body: any;
}

/**
 * A `call(method, url, body?, headers?)` against the API at `base()` (read per call: stacks start later).
 * An object body is sent as JSON, a string as is.
 */
export function apiClient(base: () => string) {
  return async function call(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    // The API takes only JSON POSTs, bodyless ones included.
    const json = body !== undefined || method === 'POST';
    const res = await fetch(`${base()}${url}`, {
      method,
      headers: json ? { 'content-type': 'application/json', ...headers } : headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

/** One call against the API at `base`. */
export function httpJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return apiClient(() => base)(method, path, body, headers);
}
