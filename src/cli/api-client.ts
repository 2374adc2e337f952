// The CLI's client commands talk to the HTTP API, so the token (SUPERSCRIPT_TOKEN) is checked like any
// caller's and every run starts through the API's one start-or-attach path.
import { ApiRefusedError, ApiUnreachableError, KeyConflictError } from '../errors.js';
import type { Settings } from '../config/settings.js';

export interface ApiAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  static from(settings: Settings): ApiClient {
    return new ApiClient(settings.apiUrl, settings.token);
  }

  /** Sends one request; an answer of 400 and up is thrown as the error it stands for. */
  async send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    // Every POST is JSON, bodyless ones too: the API refuses anything else.
    if (method === 'POST') headers['content-type'] = 'application/json';
    const url = new URL(path, this.baseUrl);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const why = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiUnreachableError(
        `Cannot reach the SuperScript API at ${this.baseUrl} (${why?.code ?? why?.message ?? (err as Error).message}). Start it with \`superscript dev\`, or set SUPERSCRIPT_API_URL to where it runs.`,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiRefusedError(
        `${url.origin} answered ${res.status} with something that is not SuperScript's JSON; is SUPERSCRIPT_API_URL right?`,
        res.status,
      );
    }
    if (res.status >= 400) {
      let message = (parsed as { message?: string }).message ?? `The API answered ${res.status}.`;
      if (res.status === 401) message += ' The CLI sends the token in SUPERSCRIPT_TOKEN.';
      throw res.status === 422 ? new KeyConflictError(message, '') : new ApiRefusedError(message, res.status);
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }
}
