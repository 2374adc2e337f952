// A batch's progress as the CLI follows it, on standard error: a bar redrawn in place at a terminal, else
// one JSON line per change (the progress with a timestamp), for a log or a pipe.
import { terminalSafeJson } from './terminal.js';
import type { BatchProgress } from '../shared/schemas/batches.js';
import type { BatchView } from '../shared/schemas/batches.js';

const WIDTH = 30;

export interface ProgressOutput {
  show(batch: BatchView): void;
  end(): void;
}

export function progressOutput(stream: NodeJS.WriteStream): ProgressOutput {
  let drawn = false;
  return stream.isTTY
    ? {
        show: (batch) => {
          // Clear the line and go back to its start: the bar is redrawn over itself.
          stream.write(`\r\x1b[2K${bar(batch)}`);
          drawn = true;
        },
        end: () => {
          if (drawn) stream.write('\n');
        },
      }
    : {
        show: (batch) =>
          stream.write(
            `${terminalSafeJson({ at: new Date().toISOString(), batchId: batch.batchId, status: batch.status, ...batch.progress }, 0)}\n`,
          ),
        end: () => {},
      };
}

function bar({ batchId, status, progress: p }: BatchView): string {
  if (!p) return `${batchId}  ${status}  progress unknown right now`;
  const filled = p.total === 0 ? WIDTH : Math.round((p.done / p.total) * WIDTH);
  return `${batchId} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${p.done}/${p.total}  ${counts(p)}`;
}

/** The counts of a progress, in words. */
export function counts(p: BatchProgress): string {
  return `succeeded ${p.succeeded}, failed ${p.failed}, unknown ${p.unknown}, already done ${p.alreadyDone}, conflict ${p.conflict}, pending ${p.pending}`;
}
