// Which key store a process uses, opened and filled before it serves anything: SUPERSCRIPT_KEY_STORE_URL,
// the one its Temporal comes with (a local cluster's), or, for the embedded default only, the SQLite file in
// its data folder. A worker, API or `exec` that talks to any other Temporal must name a shared store: two
// machines each with a file of their own would each run the same key once.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { ConfigError } from '../errors.js';
import { openKeyStore } from '../keystore/open.js';
import type { KeyStore } from '../keystore/store.js';
import { ensureFilled } from '../runs/fill-keys.js';
import type { StackContext } from './context.js';
import type { Temporal } from './temporal.js';

/** Where `superscript dev` says which Temporal address is its embedded server, for processes beside it. */
const EMBEDDED_MARKER = 'embedded-temporal.json';

/** The embedded default's key store file in a data folder. */
export function embeddedKeyStoreUrl(dataDir: string): string {
  return `sqlite:${path.join(dataDir, 'keys.sqlite')}`;
}

/** Records that `address` is this data folder's embedded dev server, while the stack running it (`dev`) runs. */
export function announceEmbedded(dataDir: string, address: string): () => void {
  const file = path.join(dataDir, EMBEDDED_MARKER);
  writeFileSync(file, JSON.stringify({ address, pid: process.pid }));
  return () => rmSync(file, { force: true });
}

/** Whether `address` is the embedded dev server of this data folder, still running. */
function isEmbedded(dataDir: string, address: string): boolean {
  const file = path.join(dataDir, EMBEDDED_MARKER);
  if (!existsSync(file)) return false;
  try {
    const marker = JSON.parse(readFileSync(file, 'utf8')) as { address?: string; pid?: number };
    if (typeof marker.address !== 'string' || typeof marker.pid !== 'number') return false;
    if (loopbackAsIp(marker.address) !== loopbackAsIp(address)) return false;
    process.kill(marker.pid, 0);
    return true;
  } catch {
    return false;
  }
}

// `dev` listens on 127.0.0.1, and TEMPORAL_ADDRESS defaults to localhost:7233: the same server.
function loopbackAsIp(address: string): string {
  return address.replace(/^localhost:/i, '127.0.0.1:');
}

/**
 * Opens the process's key store for the installation (namespace and task queue) and fills it from Temporal
 * if it never was.
 */
export async function openKeys(
  ctx: StackContext,
  temporal: Pick<Temporal, 'target' | 'keyStoreUrl' | 'embedded'>,
  client: Client,
): Promise<KeyStore> {
  const { dataDir, taskQueue } = ctx.settings;
  const { address, namespace } = temporal.target;
  const url =
    ctx.settings.keyStoreUrl ??
    temporal.keyStoreUrl ??
    (temporal.embedded || isEmbedded(dataDir, address) ? embeddedKeyStoreUrl(dataDir) : undefined);
  if (!url) {
    throw new ConfigError(
      `No key store: this process talks to Temporal at ${address}, which is not the embedded dev server of ${dataDir}. ` +
        'Set SUPERSCRIPT_KEY_STORE_URL to the store every worker, API and exec of this installation shares: ' +
        'postgres://user:password@host:5432/db, or sqlite:/path/keys.sqlite when they all run on this machine.',
    );
  }
  const store = await openKeyStore(url, `${namespace}/${taskQueue}`);
  try {
    await ensureFilled({ client, taskQueue, keys: store });
  } catch (err) {
    await store.close();
    throw err;
  }
  ctx.log.info({ keyStore: store.describe }, 'key store ready');
  return store;
}
