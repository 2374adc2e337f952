// Exit codes. A run that ended exits with the script's own code; SuperScript's own conditions use codes
// from 120 up, which scripts rarely use (and the shell's 126/127/128+n stay theirs).
import { constants } from 'node:os';
import type { RunResult } from '../shared/schemas/runs.js';
import type { BatchView } from '../shared/schemas/batches.js';
import type { RunView } from '../shared/schemas/views.js';

export const EXIT = {
  ok: 0,
  /** The key already belongs to a different request or command. Nothing ran. */
  keyConflict: 120,
  /** The run ended without a known outcome (its worker died mid-script). */
  outcomeUnknown: 121,
  /** The run was cancelled or terminated. */
  cancelled: 122,
  /** The run was still running when the wait ran out. */
  stillRunning: 123,
  /** The script ran past its timeout and was ended (as coreutils `timeout`). */
  timedOut: 124,
  /** SuperScript itself could not do it: invalid input, no Temporal, bad config. Nothing ran. */
  error: 125,
} as const;

export function exitCodeFor(run: RunView): number {
  const result = run.result as RunResult | undefined;
  switch (run.status) {
    case 'succeeded':
      return EXIT.ok;
    case 'failed':
      // Killed by a signal: 128 + its number, as a shell reports it.
      return (
        result?.exitCode ??
        (result?.signal ? 128 + (constants.signals[result.signal as NodeJS.Signals] ?? 0) : 1)
      );
    case 'timed_out':
      return EXIT.timedOut;
    case 'outcome_unknown':
      return EXIT.outcomeUnknown;
    case 'cancelled':
    case 'terminated':
      return EXIT.cancelled;
    case 'running':
      return EXIT.stillRunning;
  }
}

/**
 * A batch's code, the most pressing first: 123 still running, 121 some order's outcome is unknown (it may
 * have charged: resolve it), 1 some order failed (or the batch itself did), 120 some order's key holds
 * another amount, 122 the batch was cancelled or terminated with orders never started; 0 when every order
 * succeeded or was already done.
 */
export function exitCodeForBatch(batch: Pick<BatchView, 'status' | 'progress'>): number {
  const p = batch.progress;
  if (batch.status === 'running') return EXIT.stillRunning;
  if (p && p.unknown > 0) return EXIT.outcomeUnknown;
  if (p && p.failed > 0) return 1;
  if (p && p.conflict > 0) return EXIT.keyConflict;
  if (batch.status === 'cancelled' || batch.status === 'terminated') return EXIT.cancelled;
  return batch.status === 'succeeded' && p?.pending === 0 ? EXIT.ok : 1;
}
