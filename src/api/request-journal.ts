// What this API process answered each key's requests: executed, attached, replayed or refused as a
// conflict. Temporal records the one run a key started, not the requests that attached to it or were
// refused, so the API keeps them, in memory and bounded: the keys used most recently, the latest entries
// of each. It covers this process since it started, not other API processes.
import type { KeyConflictError } from '../errors.js';

export type Disposition = 'executed' | 'attached' | 'replayed' | 'conflict';

export interface JournalEntry {
  at: string;
  disposition: Disposition;
  /** `retry`: an explicit retry; `request`: any start-or-attach request. */
  action: 'request' | 'retry';
  /** The run the request was answered with (none for a conflict). */
  runId?: string;
  /** The caller's token name, when the API has tokens. */
  token?: string;
  /** Why a conflict was refused. */
  message?: string;
}

export interface KeyJournal {
  /** When this API process started recording: older requests are not known here. */
  since: string;
  entries: JournalEntry[];
  /** Entries for this key dropped to keep the journal bounded (the oldest go first). */
  dropped: number;
}

export class RequestJournal {
  readonly since = new Date().toISOString();
  private readonly keys = new Map<string, { entries: JournalEntry[]; dropped: number }>();

  constructor(
    readonly maxKeys = 2000,
    readonly maxPerKey = 25,
  ) {}

  /** Records how a request was answered (a StartOrAttach). */
  recordOutcome(
    outcome: { executed: boolean; replayed: boolean; run: { workflowId: string; runId: string } },
    action: JournalEntry['action'],
    token?: string,
  ): void {
    const { executed, replayed, run } = outcome;
    const disposition = executed ? 'executed' : replayed ? 'replayed' : 'attached';
    this.record(run.workflowId, { disposition, action, runId: run.runId || undefined, token });
  }

  recordConflict(err: KeyConflictError, token?: string): void {
    this.record(err.workflowId, { disposition: 'conflict', action: 'request', token, message: err.message });
  }

  of(key: string): KeyJournal {
    const kept = this.keys.get(key);
    return { since: this.since, entries: kept?.entries ?? [], dropped: kept?.dropped ?? 0 };
  }

  private record(key: string, entry: Omit<JournalEntry, 'at'>): void {
    const kept = this.keys.get(key) ?? { entries: [], dropped: 0 };
    // Re-inserted so the map's order is least recently used first.
    this.keys.delete(key);
    this.keys.set(key, kept);
    kept.entries.push({ at: new Date().toISOString(), ...entry });
    if (kept.entries.length > this.maxPerKey) {
      kept.entries.shift();
      kept.dropped++;
    }
    if (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
  }
}
