// What the API answers, as the UI reads it: the types inferred from the API's zod schemas (src/shared/schemas),
// imported as types only, so no schema code reaches the browser.
export type { Caller, JournalEntry, RunJournal } from '../src/shared/schemas/api.js';
export type {
  BatchOrderView,
  BatchPlanReport,
  BatchProgress,
  BatchRequest,
  BatchSummary,
  BatchView,
  DecisionAction,
  DecisionView,
  OrderStatus,
} from '../src/shared/schemas/batches.js';
export type { NotificationView, NotificationsAnswer } from '../src/shared/schemas/notifications.js';
export type { ArgValue, RunResult, RunStatus } from '../src/shared/schemas/runs.js';
export type { ArgSpec, ScriptView } from '../src/shared/schemas/scripts.js';
export type { RunAnswer, RunDetail, RunView } from '../src/shared/schemas/views.js';
export type { ScheduleView } from '../src/shared/schemas/schedules.js';
