// `superscript keys show|prune` (through the API, as any caller) and `keys export|import|restore|refill`
// (the operator's own access to the installation's key store and Temporal, like `token` to the tokens
// file): reading a key's history, removing old keys, moving keys from the embedded default to a cluster,
// and backing the store up and restoring it.
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { Client } from '@temporalio/client';
import { connectClient, temporalTarget } from '../../config/temporal-connection.js';
import { InvalidRequestError } from '../../errors.js';
import { fillOnce, markUnfilled } from '../../keystore/fill-state.js';
import { openKeyStore } from '../../keystore/open.js';
import { KeyEvent, KeyRecord } from '../../shared/schemas/keys.js';
import type { KeyStore } from '../../keystore/store.js';
import { fillFromTemporal } from '../../runs/fill-keys.js';
import { embeddedKeyStoreUrl } from '../../stack/key-store.js';
import { apiClient } from '../api-client.js';
import type { Context } from '../context.js';
import { forTerminal, terminalSafeJson } from '../terminal.js';
import { z } from 'zod';

export async function keysShow(ctx: Context, key: string, o: { json?: boolean }): Promise<number> {
  const body = await apiClient(ctx.settings).keyReport(key);
  if (o.json) {
    process.stdout.write(`${terminalSafeJson(body)}\n`);
    return 0;
  }
  const r = body.record;
  const lines = [
    `${r.key}  ${r.state}  (${r.script}, ${r.origin}${r.by ? ` by ${r.by}` : ''})`,
    `  request   ${r.request}`,
    `  run       ${r.runId ?? '(none yet)'}, ${r.attempts} start(s) of the script`,
    `  started   ${r.startedAt}${r.endedAt ? `, ended ${r.endedAt}` : ''}`,
    ...(r.message ? [`  message   ${r.message}`] : []),
    ...(r.grant
      ? [`  pending   ${r.grant.kind} of run ${r.grant.of}, granted to ${r.grant.by} at ${r.grant.at}`]
      : []),
    `  kept      ${body.keptDays === null ? 'until removed with `superscript keys prune`' : `${body.keptDays} days after its run ends`}`,
    '  history:',
    ...body.events.map(
      (e) =>
        `    ${e.at}  ${e.kind.padEnd(10)} ${e.state.padEnd(15)} ${e.runId ?? '-'}${e.by ? `  by ${e.by}` : ''}${e.detail ? `  ${e.detail}` : ''}`,
    ),
  ];
  process.stdout.write(forTerminal(process.stdout, `${lines.join('\n')}\n`));
  return 0;
}

export async function keysPrune(ctx: Context, o: { before: string }): Promise<number> {
  const body = await apiClient(ctx.settings).pruneKeys(o.before);
  process.stdout.write(`removed ${body.removed} key(s) whose runs ended before ${o.before}\n`);
  return 0;
}

/** One line of an export: a key with its history, without the scope (an import puts it in its own). */
const ExportLine = z.strictObject({ record: KeyRecord, events: z.array(KeyEvent) });

/** Writes every key of the installation, one JSON line each, to `file` (or standard output). */
export async function keysExport(ctx: Context, o: { out?: string }): Promise<number> {
  const store = await openConfigured(ctx);
  const file = o.out ? createWriteStream(o.out, { mode: 0o600 }) : undefined;
  const out: NodeJS.WritableStream = file ?? process.stdout;
  let count = 0;
  try {
    for await (const line of store.exportAll()) {
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
      count++;
    }
  } finally {
    await store.close();
    if (file) await new Promise<void>((resolve) => file.end(resolve));
  }
  process.stderr.write(`exported ${count} key(s) from ${store.describe}\n`);
  return 0;
}

/**
 * Adds the keys of an export that the installation's store lacks (moving from the embedded default to a
 * cluster); with `restore`, the store is then refilled from Temporal (a backup is older than Temporal's
 * records), and workers claim nothing until that is done.
 */
export async function keysImport(ctx: Context, file: string, o: { restore?: boolean }): Promise<number> {
  const store = await openConfigured(ctx);
  try {
    if (o.restore) await markUnfilled(store);
    let added = 0;
    let kept = 0;
    let n = 0;
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const text of lines) {
      n++;
      if (!text.trim()) continue;
      const parsed = ExportLine.safeParse(safeJson(text));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InvalidRequestError(
          `${file}:${n}: not a key of an export (${issue?.path.join('.') || 'line'}: ${issue?.message}); nothing after it was imported.`,
        );
      }
      if (await store.importOne(parsed.data.record, parsed.data.events)) added++;
      else kept++;
    }
    process.stderr.write(
      `imported ${added} key(s) into ${store.describe}; ${kept} it already had were kept\n`,
    );
    if (o.restore) await refill(ctx, store);
  } finally {
    await store.close();
  }
  return 0;
}

/** Fills the store from Temporal's records again: after restoring a copy of the store by other means. */
export async function keysRefill(ctx: Context): Promise<number> {
  const store = await openConfigured(ctx);
  try {
    await markUnfilled(store);
    await refill(ctx, store);
  } finally {
    await store.close();
  }
  return 0;
}

async function refill(ctx: Context, store: KeyStore): Promise<void> {
  const client: Client = await connectClient(temporalTarget());
  try {
    let summary = '';
    await fillOnce(store, async () => {
      summary = await fillFromTemporal({ client, taskQueue: ctx.settings.taskQueue, keys: store });
      return summary;
    });
    process.stderr.write(`refilled from Temporal's records: ${summary || 'done by another process'}\n`);
  } finally {
    await client.connection.close();
  }
}

/** The installation's store: SUPERSCRIPT_KEY_STORE_URL, else the data folder's file. */
export function openConfigured(ctx: Context): Promise<KeyStore> {
  const url = ctx.settings.keyStoreUrl ?? embeddedKeyStoreUrl(ctx.settings.dataDir);
  return openKeyStore(url, `${temporalTarget().namespace}/${ctx.settings.taskQueue}`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
