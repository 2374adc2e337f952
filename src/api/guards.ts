// Refusals that keep web pages away from the API. A page can make a browser send a "simple" request (a
// form's POST, text/plain) to any address without a CORS preflight, and DNS rebinding can point a page's
// own host name at 127.0.0.1; requiring a JSON content type on every POST and, on loopback, a local Host
// header closes both.
import { errorCodes, type FastifyInstance } from 'fastify';
import { WrongHostError } from '../errors.js';

const { FST_ERR_CTP_INVALID_MEDIA_TYPE } = errorCodes;
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** Every POST, bodyless ones included, must say Content-Type: application/json (else 415). */
export function requireJsonPosts(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    // A POST to a path that takes none is answered 405, whatever its type: nothing there reads a body.
    if (request.method !== 'POST' || request.routeOptions.config.refusesMethod) return;
    const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') throw new FST_ERR_CTP_INVALID_MEDIA_TYPE(mediaType ?? 'none');
  });
}

/** Answers only requests addressed to localhost, 127.0.0.1 or [::1], any port (else 421). */
export function requireLocalHost(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const host = request.headers.host;
    if (host !== undefined && LOCAL_HOST.test(host)) return;
    throw new WrongHostError(
      `This API listens on loopback and answers only requests addressed to localhost, 127.0.0.1 or [::1]; Host "${(host ?? '').slice(0, 100)}" was refused (a guard against DNS rebinding).`,
    );
  });
}
