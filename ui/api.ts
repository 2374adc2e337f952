// The web UI's client of the SuperScript API: the one typed client (src/shared/api-client.ts) on this page's
// origin, with the tab's token. When the API answers 401 the UI asks for a token, keeps it for this tab only
// (sessionStorage) and sends it as a Bearer header from then on.
import { ApiClient } from '../src/shared/api-client.js';
import { askForToken } from './dialogs.js';

const TOKEN_KEY = 'superscript.token';

export function hasToken(): boolean {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export const api = new ApiClient({
  baseUrl: location.origin,
  token: () => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  unauthorized: async (message, hadToken) => {
    if (hadToken) forgetToken();
    sessionStorage.setItem(TOKEN_KEY, await askForToken(message, hadToken));
    return true;
  },
});
