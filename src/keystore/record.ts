// What the key store keeps for each key, as the store uses it: which states are ends, and the listing
// filter. The record and its events are zod schemas (src/shared/schemas/keys.ts), shared with the API.
import type { KeyState } from '../shared/schemas/keys.js';

export const ENDED_STATES: readonly KeyState[] = [
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'terminated',
  'outcome_unknown',
];

export function hasEnded(state: KeyState): boolean {
  return ENDED_STATES.includes(state);
}

/** A listing of keys, newest first (by `startedAt`), from checked filters only. */
export interface KeyFilter {
  states?: readonly KeyState[];
  scripts?: readonly string[];
  /** `startedAt` at or after / at or before (ISO 8601). */
  since?: string;
  until?: string;
  limit: number;
}
