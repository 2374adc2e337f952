// Exit codes. A run that ended exits with the script's own code; SuperScript's own conditions use codes
// from 120 up, which scripts rarely use (and the shell's 126/127/128+n stay theirs).
import { constants } from 'node:os';
import type { RunView } from '../runs/view.js';
import type { RunResult } from '../workflows/contract.js';

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
