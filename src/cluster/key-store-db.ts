// The local cluster's key store: a database of its own on the cluster's PostgreSQL, which every worker, API
// and `exec` of the installation shares (SUPERSCRIPT_KEY_STORE_URL).
import pg from 'pg';
import { ClusterError } from '../errors.js';
import type { Postgres } from './postgres.js';

export const KEY_STORE_DATABASE = 'superscript_keys';

/** Creates the key store's database if it does not exist yet; its tables are made by the store itself. */
export async function ensureKeyStoreDatabase(postgres: Postgres): Promise<void> {
  const client = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database: 'postgres',
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      KEY_STORE_DATABASE,
    ]);
    if (!rowCount) await client.query(`CREATE DATABASE ${KEY_STORE_DATABASE}`);
  } catch (err) {
    // Two `cluster up` on one folder are refused earlier; a duplicate here is a race with nobody.
    if ((err as { code?: string }).code !== '42P04') {
      throw new ClusterError(`Could not create the key store's database: ${(err as Error).message}`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The key store URL of the cluster's database (with the role's password: give it only to its processes). */
export function keyStoreUrl(postgres: Postgres): string {
  const user = encodeURIComponent(postgres.user);
  const password = encodeURIComponent(postgres.password);
  return `postgres://${user}:${password}@${postgres.host}:${postgres.port}/${KEY_STORE_DATABASE}`;
}
