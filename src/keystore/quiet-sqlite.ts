// Loads node:sqlite without the one line Node 22 prints when it does ("ExperimentalWarning: SQLite is an
// experimental feature"): the embedded key store is SuperScript's default, so every `superscript` command
// would print it to people who did not ask for SQLite, and scripts reading stderr would see it too.
import { KeyStoreUnavailableError } from '../errors.js';

export type Sqlite = typeof import('node:sqlite');

const SQLITE_WARNING = 'SQLite is an experimental feature';

/**
 * node:sqlite, with exactly that warning dropped. Node emits it through `process.emitWarning` while the
 * module loads (22.x; 24 no longer does), and the default printer cannot be told to skip one message, so
 * emitWarning is wrapped for the duration of the import; every other warning goes through unchanged.
 */
export async function loadSqlite(): Promise<Sqlite> {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (rest[0] === 'ExperimentalWarning' && text.startsWith(SQLITE_WARNING)) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return await import('node:sqlite');
  } catch (err) {
    throw new KeyStoreUnavailableError(
      `The embedded key store needs node:sqlite, which Node ${process.version} does not have: run SuperScript ` +
        'on Node 22.16 or newer, or point the key store at PostgreSQL (postgres://...).',
      { cause: err },
    );
  } finally {
    process.emitWarning = emitWarning;
  }
}
