// The web UI: a page and its assets, built into dist/ui by `npm run build` and served from memory. It
// loads nothing from elsewhere, and its Content-Security-Policy lets it load nothing else.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PACKAGE_ROOT } from '../../config/settings.js';
import { refuseOtherMethods } from '../methods.js';

export const UI_DIR = path.join(PACKAGE_ROOT, 'dist', 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function uiRoutes(app: FastifyInstance): void {
  const files = loadUi();
  const send = (reply: FastifyReply, name: string) => {
    const file = files.get(name);
    if (!file) {
      const missing = files.size === 0 ? ' The UI is not built: run `npm run build`.' : '';
      return reply.code(404).send({ error: 'not_found', message: `No UI file "${name}".${missing}` });
    }
    return reply
      .header('Content-Type', file.type)
      .header('Content-Security-Policy', UI_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-cache')
      .send(file.body);
  };
  // The page and its assets hold no data: it asks the API (with the token it is given) for everything.
  // Pages, not API: kept out of the OpenAPI document.
  const open = { config: { auth: 'public' as const }, schema: { hide: true } };
  app.get('/', open, (_request, reply) => send(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/ui/:file', open, (request, reply) =>
    send(reply, request.params.file),
  );
  refuseOtherMethods(app, '/', ['GET']);
  refuseOtherMethods(app, '/ui/:file', ['GET']);
}

/** The built files by name; none when the UI has not been built. */
function loadUi(): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  let names: string[];
  try {
    names = readdirSync(UI_DIR);
  } catch {
    return files;
  }
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { type, body: readFileSync(path.join(UI_DIR, name)) });
  }
  return files;
}
