// The notification outbox as GET /v1/notifications shows it (the web UI's Notifications page): each defined
// once in zod, the types inferred for the API, the typed client and the UI.
import { z } from 'zod';

/** The most notifications one answer lists; the store keeps all of them until delivered and pruned. */
export const NOTIFICATIONS_MAX = 500;

const LIMIT_MESSAGE = `must be a whole number from 1 to ${NOTIFICATIONS_MAX}`;

export const NotificationsQuery = z.object({
  limit: z.coerce
    .number({ error: LIMIT_MESSAGE })
    .int(LIMIT_MESSAGE)
    .min(1, LIMIT_MESSAGE)
    .max(NOTIFICATIONS_MAX, LIMIT_MESSAGE)
    .default(100)
    .describe(`How many, newest first: 1 to ${NOTIFICATIONS_MAX} (default 100).`),
  undelivered: z.enum(['true', 'false']).optional().describe('Only those not delivered yet.'),
});
export type NotificationsQuery = z.infer<typeof NotificationsQuery>;

export const NotificationView = z.object({
  id: z.string().describe('The event ID, also the delivery ID a receiver dedupes on.'),
  target: z.string(),
  type: z
    .string()
    .describe('run.failed, run.outcome_unknown, batch.finished, schedule.skipped, schedule.missed or test.'),
  createdAt: z.string(),
  attempts: z.number().int().describe('Tries so far.'),
  dueAt: z.string().describe('When it is tried (again), unless delivered.'),
  lastError: z.string().nullable().describe("The last failed try's reason (kept once delivered)."),
  deliveredAt: z.string().nullable(),
  event: z
    .object({
      key: z.string().optional(),
      batchId: z.string().optional(),
      schedule: z.string().optional(),
      target: z.string().optional(),
    })
    .loose()
    .describe('The event, as its target receives it (without the link).'),
});
export type NotificationView = z.infer<typeof NotificationView>;

export const NotificationsAnswer = z.object({
  pending: z.number().int().describe('Notifications not delivered yet.'),
  notifications: z.array(NotificationView),
});
export type NotificationsAnswer = z.infer<typeof NotificationsAnswer>;
