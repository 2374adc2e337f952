// The CLI's client commands talk to the HTTP API through the one typed client (src/shared/api-client.ts), so
// the token (SUPERSCRIPT_TOKEN) is checked like any caller's and every run starts through the API's front
// door. What goes wrong becomes the CLI's own errors, which say what to do and set the exit code.
import { ApiClient, type ApiFailure } from '../shared/api-client.js';
import { ApiRefusedError, ApiUnreachableError, KeyConflictError } from '../errors.js';
import type { Settings } from '../config/settings.js';

export function apiClient(settings: Settings): ApiClient {
  return new ApiClient({
    baseUrl: settings.apiUrl,
    token: () => settings.token,
    failure: (failure) => cliError(settings.apiUrl, failure),
  });
}

function cliError(baseUrl: string, failure: ApiFailure): Error {
  switch (failure.kind) {
    case 'unreachable': {
      const why = (failure.cause as { cause?: { code?: string; message?: string } }).cause;
      return new ApiUnreachableError(
        `Cannot reach the SuperScript API at ${baseUrl} (${why?.code ?? why?.message ?? failure.cause.message}). Start it with \`superscript dev\`, or set SUPERSCRIPT_API_URL to where it runs.`,
      );
    }
    case 'not-json':
      return new ApiRefusedError(
        `${failure.url.origin} answered ${failure.status} with something that is not SuperScript's JSON; is SUPERSCRIPT_API_URL right?`,
        failure.status,
      );
    case 'refused': {
      let { message } = failure.body;
      if (failure.status === 401) message += ' The CLI sends the token in SUPERSCRIPT_TOKEN.';
      return failure.status === 422
        ? new KeyConflictError(message, '')
        : new ApiRefusedError(message, failure.status);
    }
  }
}
