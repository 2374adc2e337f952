// `?wait=30s`: how long a request blocks for a run's result before answering 202.
import { InvalidRequestError } from '../errors.js';

export const MAX_WAIT_MS = 600_000;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

export function parseWait(value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  const ms = m ? Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000) : NaN;
  if (!Number.isFinite(ms) || ms > MAX_WAIT_MS) {
    throw new InvalidRequestError('"wait" is a duration such as 500ms, 30s or 2m, at most 10m.', 'wait');
  }
  return ms;
}
