// A key as the key store keeps it, for people (`superscript keys show`, the web UI): its record, its
// history of claims, retries and resolves, and how long it is remembered; and removing keys that ended
// long ago. A pending grant's token is the permission itself, so it is never shown.
import { InvalidRequestError, RunNotFoundError } from '../errors.js';
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

/** Removes the keys whose runs ended before `before` (an ISO 8601 time in the past); how many. */
export async function pruneKeys(src: RunSource, before: string): Promise<number> {
  const t = Date.parse(before);
  if (!/^\d{4}-\d{2}-\d{2}/.test(before) || Number.isNaN(t))
    throw new InvalidRequestError('"before" is an ISO 8601 time, e.g. 2026-01-31T00:00:00Z.', 'before');
  if (t > Date.now())
    throw new InvalidRequestError(
      '"before" must be in the past: only keys that have ended are removed.',
      'before',
    );
  return src.keys.prune(new Date(t).toISOString());
}
