// A PostgreSQL of a test's own, with the key store's database on it as `cluster up` makes it: for the key
// store's backend test, its latency bench and fault scenario R10. The machine's binaries, as `cluster up` runs them.
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { ensureKeyStoreDatabase, keyStoreUrl } from '../../src/cluster/key-store-db.js';
import { Postgres } from '../../src/cluster/postgres.js';
import { freePort } from '../../src/devserver/free-port.js';

/** Starts one in `<dir>/postgres`, on a free port; `url` is its key store database's. */
export async function startKeyStorePostgres(dir: string): Promise<{ postgres: Postgres; url: string }> {
  // PostgreSQL runs as its own user and must reach its folder inside (mkdtemp makes `dir` private).
  chmodSync(dir, 0o755);
  const postgres = Postgres.locate({
    dir: path.join(dir, 'postgres'),
    port: await freePort(),
    log: () => {},
  });
  await postgres.initialize();
  await postgres.start();
  try {
    await ensureKeyStoreDatabase(postgres);
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  return { postgres, url: keyStoreUrl(postgres) };
}
