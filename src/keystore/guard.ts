// The key store as a process that runs scripts (a worker, an `exec`) uses it: the store, whether only
// reserved keys may run, and the one question about Temporal a claim may need answered.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { KeyStoreUnavailableError } from '../errors.js';
import { isFilled } from './fill-state.js';
import type { KeyStore } from './store.js';

/** How long a worker trusts that the store is filled before asking again (a restore unmarks it). */
const FILLED_RECHECK_MS = 10_000;

export class KeyGuard {
  private filledAt = 0;

  constructor(
    readonly store: KeyStore,
    private readonly client: Client,
    /** Run only keys SuperScript's front door reserved (SUPERSCRIPT_REQUIRE_RESERVATION). */
    readonly requireReservation: boolean,
  ) {}

  /**
   * Resolves once the store may be claimed from: it has been filled from Temporal's records (on upgrade, or
   * after a restore), so no key Temporal still remembers looks new.
   */
  async ready(): Promise<void> {
    if (Date.now() - this.filledAt < FILLED_RECHECK_MS) return;
    if (!(await isFilled(this.store))) {
      throw new KeyStoreUnavailableError(
        "The key store is being filled from Temporal's records (first start after an upgrade, or after a restore); nothing runs until it is. Try again shortly.",
      );
    }
    this.filledAt = Date.now();
  }

  /** Whether a run is still open in Temporal (not ended, reset away, or deleted). */
  async isOpen(workflowId: string, runId: string): Promise<boolean> {
    try {
      const d = await this.client.workflow.getHandle(workflowId, runId).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}
