// Opens the key store a URL names: the embedded SQLite file or PostgreSQL. Each backend's module is loaded only
// when used, so a process on the SQLite file never loads pg, and one on PostgreSQL never loads node:sqlite.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import type { KeyStore } from './store.js';

/**
 * `sqlite:<path>` (a relative path from the current folder), `file:<path>` or a `file://` URL; or
 * `postgres://` / `postgresql://` (user, password, host, port, database, and pg's options such as sslmode).
 */
export async function openKeyStore(url: string, scope: string): Promise<KeyStore> {
  const sqlitePath = sqliteFile(url);
  if (sqlitePath !== undefined) {
    const { SqliteKeyStore } = await import('./sqlite.js');
    return SqliteKeyStore.open(sqlitePath, scope);
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { PostgresKeyStore } = await import('./postgres.js');
    return PostgresKeyStore.open(url, scope);
  }
  throw new ConfigError(
    `The key store URL "${redact(url)}" is not one SuperScript knows: use sqlite:<path of a file> (e.g. ` +
      'sqlite:data/keys.sqlite), file:<path>, or postgres://user:password@host:5432/database.',
  );
}

/** The file a sqlite: or file: URL names, absolute; undefined for other URLs. */
function sqliteFile(url: string): string | undefined {
  const scheme = /^(sqlite|file):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return undefined;
  const rest = url.slice(scheme.length + 1);
  if (rest === '') {
    throw new ConfigError(
      `The key store URL "${url}" names no file: use ${scheme}:<path>, e.g. ${scheme}:keys.sqlite.`,
    );
  }
  // file://host/path is a real URL, with percent-escapes; sqlite:, and file: without //, take the path as written.
  const file = scheme === 'file' && rest.startsWith('//') ? fileURLToPath(url) : rest;
  return path.resolve(file);
}

/** `url` with any password replaced, for messages. */
function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i, '$1***@');
}
