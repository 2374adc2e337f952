// Calls to the SuperScript API, with the tab's token. When the API answers 401 the UI asks for a token
// once, keeps it for this tab only (sessionStorage) and sends it as a Bearer header from then on.
import { askForToken } from './dialogs.js';

const TOKEN_KEY = 'superscript.token';

/** An answer other than 2xx, with the API's own `{error, message}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export function hasToken(): boolean {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export async function get<T>(path: string): Promise<T> {
  return call<T>('GET', path);
}

/** A POST; every POST carries a JSON body, as the API asks. */
export async function post<T>(path: string, body: object = {}): Promise<T> {
  return call<T>('POST', path, body);
}

async function call<T>(method: string, path: string, body?: object): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
  const answer = (await res.json().catch(() => undefined)) as
    (T & { error?: string; message?: string }) | undefined;
  if (res.status === 401) {
    if (token) forgetToken();
    sessionStorage.setItem(TOKEN_KEY, await askForToken(answer?.message, Boolean(token)));
    return call<T>(method, path, body);
  }
  if (!res.ok) {
    throw new ApiError(
      res.status,
      answer?.error ?? 'error',
      answer?.message ?? `The API answered ${res.status}.`,
    );
  }
  return answer as T;
}
