// The per-script concurrency cap's semaphore workflow: its input, permit requests, signals and query.
import type { PermitHolder } from './schemas/semaphore.js';

/**
 * The semaphore of a script with a `maxConcurrent` cap: one workflow per script, `semaphore-<script>@<queue>`,
 * handing out permits. A run asks with signal-with-start, gets a signal back, and releases with a signal
 * when it ends (whatever way it ends; a run that ends without releasing, e.g. terminated, is reclaimed).
 */
export interface SemaphoreInput {
  script: string;
  permits: number;
  holders?: PermitHolder[];
  waiting?: PermitHolder[];
}

export interface PermitRequest extends PermitHolder {
  script: string;
}

export const SemaphoreSignals = {
  acquire: 'acquirePermit',
  release: 'releasePermit',
  granted: 'permitGranted',
} as const;

/** The semaphore's argument to `acquirePermit`: the requester, and the cap from the worker's registry. */
export interface AcquirePermit extends PermitHolder {
  permits: number;
}

/** Query a semaphore answers with its holders. */
export const SEMAPHORE_HOLDERS_QUERY = 'holders';
