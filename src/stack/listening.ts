// Listening on a configured port: a port already in use is reported as the setting to change.
import { ConfigError } from '../errors.js';

/** A port already taken is the operator's to fix: say which setting chooses another. */
export async function listening<T>(
  listen: Promise<T>,
  where: { host: string; port: number; how: string },
): Promise<T> {
  try {
    return await listen;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new ConfigError(`Port ${where.port} on ${where.host} is in use; choose another with ${where.how}.`);
  }
}
