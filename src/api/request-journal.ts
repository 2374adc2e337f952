// What this API process answered each key's requests: executed, attached, replayed or refused as a
// conflict. Temporal records the one run a key started, not the requests that attached to it or were
// refused, so the API keeps them, in memory and bounded: the keys used most recently, the latest entries
// of each. It covers this process since it started, not other API processes.
import type { FastifyRequest } from 'fastify';
import { KeyConflictError } from '../errors.js';
import type { JournalEntry, KeyJournal, RequestAction } from '../shared/schemas/api.js';
import { tokenNameOf } from './caller.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by buildApi; `sendRun` and `sendError` record through it. */
    requestJournal: RequestJournal;
  }
}

const ACTIONS: Record<string, RequestAction> = {
  '/v1/runs/:id/retry': 'retry',
  '/v1/runs/:id/resolve': 'resolve',
};

export class RequestJournal {
  readonly since = new Date().toISOString();
  private readonly keys = new Map<string, { entries: JournalEntry[]; dropped: number }>();

  constructor(
    readonly maxKeys = 2000,
    readonly maxPerKey = 25,
  ) {}

  /** A request answered with its run (a StartOrAttach). */
  answered(
    request: FastifyRequest,
    outcome: { executed: boolean; replayed: boolean; run: { workflowId: string; runId: string } },
  ): void {
    const { executed, replayed, run } = outcome;
    this.record(run.workflowId, {
      disposition: executed ? 'executed' : replayed ? 'replayed' : 'attached',
      action: actionOf(request),
      runId: run.runId || undefined,
      token: tokenNameOf(request),
    });
  }

  /** A request answered with an error: a conflict is recorded under its key, anything else is not. */
  failed(request: FastifyRequest, err: unknown): void {
    if (!(err instanceof KeyConflictError)) return;
    this.record(err.workflowId, {
      disposition: 'conflict',
      action: actionOf(request),
      token: tokenNameOf(request),
      message: err.message,
    });
  }

  of(key: string): KeyJournal {
    const kept = this.keys.get(key);
    return { since: this.since, entries: kept?.entries ?? [], dropped: kept?.dropped ?? 0 };
  }

  record(key: string, entry: Omit<JournalEntry, 'at'>): void {
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

function actionOf(request: FastifyRequest): RequestAction {
  return ACTIONS[request.routeOptions.url ?? ''] ?? 'request';
}
