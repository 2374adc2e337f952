// Notifications: the latest deliveries to the config file's targets, delivered or still being tried, with
// their attempts and last error (GET /v1/notifications, admin only).
import { api } from '../api.js';
import { badge, empty, failure, pageHeader, table } from '../components.js';
import { h, route } from '../dom.js';
import { time } from '../format.js';
import { poll, type Page } from '../page.js';
import type { NotificationsAnswer, NotificationView } from '../types.js';

export const notificationsPage: Page = async (root, { signal }) => {
  const results = h('div', { class: 'results' });
  root.append(
    pageHeader(
      'Notifications',
      'Events sent to the targets in the config file: failed runs, unknown outcomes, finished batches, skipped or missed schedule fires. Workers retry each until it is delivered.',
    ),
    results,
  );
  const load = async () => {
    const view = await api.notifications({ limit: 100 }).then(notificationTable, failure);
    if (!signal.aborted) results.replaceChildren(view);
    return true;
  };
  await load();
  poll(5000, signal, load);
};

function notificationTable({ pending, notifications }: NotificationsAnswer): HTMLElement {
  if (notifications.length === 0) return empty('No notifications yet.');
  return h(
    'div',
    {},
    h('p', {}, pending === 0 ? 'All delivered.' : `${pending} not delivered yet.`),
    table(
      [
        { title: 'Event', cell: (n) => n.type, className: 'nowrap' },
        { title: 'About', cell: subject, className: 'key' },
        { title: 'Target', cell: (n) => n.target },
        {
          title: 'Delivery',
          cell: (n) => (n.deliveredAt ? badge('succeeded', 'delivered') : badge('failed', 'retrying')),
        },
        { title: 'Attempts', cell: (n) => String(n.attempts), className: 'num' },
        { title: 'Last error', cell: (n) => n.lastError ?? '—', wide: true },
        { title: 'Created', cell: (n) => time(n.createdAt), className: 'nowrap' },
      ],
      notifications,
    ),
  );
}

/** The run, batch or schedule an event is about, linked to its page. */
function subject(n: NotificationView): HTMLElement | string {
  const e = n.event;
  if (typeof e.key === 'string') return route(`/runs/${encodeURIComponent(e.key)}`, e.key);
  if (typeof e.batchId === 'string') return route(`/batches/${encodeURIComponent(e.batchId)}`, e.batchId);
  if (typeof e.schedule === 'string')
    return route(`/schedules/${encodeURIComponent(e.schedule)}`, e.schedule);
  return typeof e.target === 'string' ? `test of ${e.target}` : '—';
}
