// What the API answers, as the UI reads it: the API's own types, plus what its routes add to them.
import type { Caller } from '../src/api/caller.js';
import type { JournalEntry, KeyJournal } from '../src/api/request-journal.js';

import type { RunStatus, RunView } from '../src/runs/view.js';
import type { BatchProgress, OrderReport } from '../src/shared/batches.js';
import type { RunResult } from '../src/shared/runs.js';

/** A batch's counts, as GET /v1/batches/{id} answers them in `progress`. */
type BatchCounts = BatchProgress;

export type { BatchCounts, Caller, JournalEntry, OrderReport, RunResult, RunStatus, RunView };

/** One of GET /v1/notifications' deliveries. */
export interface NotificationView {
  id: string;
  target: string;
  type: string;
  createdAt: string;
  attempts: number;
  dueAt: string;
  lastError: string | null;
  deliveredAt: string | null;
  event: { key?: unknown; batchId?: unknown; target?: unknown };
}

/** GET /v1/notifications */
export interface NotificationsAnswer {
  pending: number;
  notifications: NotificationView[];
}

/** GET /v1/runs/{id} */
export interface RunDetail extends RunView {
  /** Days after its run ends that the key store remembers the key; null: until pruned. */
  dedupWindowDays: number | null;
  /** Days after it closes that Temporal keeps the run's history. */
  historyDays: number;
  temporalUrl?: string;
  /** Its script declares a verify command, so an unknown outcome can be resolved. */
  verifiable: boolean;
}

/** GET /v1/runs/{id}/requests */
export interface RequestsAnswer extends KeyJournal {
  workflowId: string;
}

export interface BatchSummary {
  batchId: string;
  workflowId: string;
  runId: string;
  status: RunStatus;
  startedAt?: string;
  closedAt?: string;
  orders?: number;
}

/** GET /v1/batches/{id} */
export interface BatchDetail extends BatchSummary {
  progress?: BatchCounts;
  temporalUrl?: string;
  message?: string;
}

/** GET /v1/batches/{id}/orders */
export interface OrdersPage {
  orders: OrderReport[];
  nextCursor?: string;
}
