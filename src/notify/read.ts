// The outbox as people read it (GET /v1/notifications): the latest notices, newest first, each with the
// event its target receives, and how many are not delivered yet.
import type { KeyStore, NoticeState } from '../keystore/store.js';
import type {
  NotificationView,
  NotificationsAnswer,
  NotificationsQuery,
} from '../shared/schemas/notifications.js';

export async function readNotifications(
  keys: KeyStore,
  query: NotificationsQuery,
): Promise<NotificationsAnswer> {
  const [pending, list] = await Promise.all([
    keys.pendingNotices(),
    keys.notices(query.limit, query.undelivered === 'true'),
  ]);
  return { pending, notifications: list.map(view) };
}

function view(n: NoticeState): NotificationView {
  const { body, leaseUntil: _lease, ...rest } = n;
  return { ...rest, event: JSON.parse(body) as NotificationView['event'] };
}
