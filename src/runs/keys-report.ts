// A key as the key store keeps it, for people (`superscript keys show`, the web UI): its record, its
// history of claims, retries and resolves, and how long it is remembered. A pending grant's token is the
// permission itself, so it is never shown.
import { RunNotFoundError } from '../errors.js';
import type { RunSource } from './read.js';
import type { KeyReport } from '../shared/schemas/keys.js';

const HISTORY_LIMIT = 200;

export async function keyReport(
  src: RunSource,
  key: string,
  keptDays: number | undefined,
): Promise<KeyReport> {
  const record = await src.keys.get(key);
  if (!record) throw new RunNotFoundError(key);
  const { grant, version: _version, ...rest } = record;
  const shown = grant ? (({ token: _token, ...g }) => g)(grant) : null;
  return {
    record: { ...rest, grant: shown },
    events: await src.keys.events(key, HISTORY_LIMIT),
    keptDays: keptDays ?? null,
  };
}
