// What the key store keeps for each key, as the store uses it: which states are ends, and the listing
// filter. The record and its events are zod schemas (src/shared/schemas/keys.ts), shared with the API.
import type { KeyState } from '../shared/schemas/keys.js';
import { Outcome } from '../shared/schemas/runs.js';

/** A key's run has ended in one of these: how it ended, its outcome. */
export const ENDED_STATES: readonly KeyState[] = Outcome.options;

export function hasEnded(state: KeyState): boolean {
  return ENDED_STATES.includes(state);
}

/** A listing of keys, newest first (by `startedAt`), from checked filters only. */
export interface KeyFilter {
  /** These keys only. */
  keys?: readonly string[];
  states?: readonly KeyState[];
  scripts?: readonly string[];
  /** `startedAt` at or after / at or before (ISO 8601). */
  since?: string;
  until?: string;
  limit: number;
}
