// Turns the fires schedules skip or miss into notifications, in every worker process: Temporal only counts
// them on each schedule, so a watcher reads the counts every round and writes a schedule.skipped or
// schedule.missed notice for each total that grew past what was last noticed (kept in the key store, so
// workers share it and a restart neither repeats nor loses one). Delivery is the dispatcher's.
import type { Logger } from 'pino';
import type { KeyStore } from '../keystore/store.js';
import type { ScheduleService } from '../schedules/service.js';
import type { ScheduleView } from '../shared/schemas/schedules.js';
import { scheduleNotice } from './events.js';
import { Rounds } from './rounds.js';

/** How often the schedules are read: as often as the API reads them for /metrics. */
export const SCHEDULE_WATCH_MS = 15_000;

/** The totals last noticed for a schedule, and which schedule of that name they belong to. */
interface Noticed {
  createdAt: string;
  skipped: number;
  missed: number;
}

/** Each count, and the event its growth is. */
const COUNTS = [
  ['schedule.skipped', 'skipped'],
  ['schedule.missed', 'missed'],
] as const;

/** The key-store value holding a schedule's noticed totals. */
function metaName(schedule: string): string {
  return `schedule-fires:${schedule}`;
}

export interface ScheduleWatchOptions {
  keys: KeyStore;
  schedules: ScheduleService;
  log: Logger;
  /** Default: SCHEDULE_WATCH_MS. */
  everyMs?: number;
}

export class ScheduleWatch extends Rounds {
  /** Whether the last round failed: a Temporal or key store that stays away is warned about once. */
  private failing = false;

  constructor(private readonly o: ScheduleWatchOptions) {
    super(o.everyMs ?? SCHEDULE_WATCH_MS);
  }

  protected async round(): Promise<void> {
    try {
      for (const view of await this.o.schedules.list()) await this.check(view);
      this.failing = false;
    } catch (err) {
      // The counts stay in Temporal: the next round that reaches it notices what grew meanwhile.
      const level = this.failing ? 'debug' : 'warn';
      this.o.log[level]({ err }, 'could not read the schedules for skipped and missed fires; trying again');
      this.failing = true;
    }
  }

  /**
   * Writes the notices the schedule's counts owe, then records its totals as noticed (if no other worker
   * recorded first). Notices first, so none is lost: a worker that dies between the two, or another worker
   * that read the same totals, writes the same notice again, under the same ID, which the outbox ignores.
   */
  private async check(view: ScheduleView): Promise<void> {
    const name = metaName(view.name);
    const now: Noticed = {
      createdAt: view.createdAt,
      skipped: view.fires.skippedOverlap,
      missed: view.fires.missedCatchUpWindow,
    };
    const stored = await this.o.keys.getMeta(name);
    // First seen: its totals so far are history (e.g. from before an upgrade), not news.
    if (!stored) {
      await this.o.keys.setMeta(name, JSON.stringify(now), 0);
      return;
    }
    const was = JSON.parse(stored.value) as Noticed;
    // A schedule deleted and created again under the name: its counts start again from zero.
    const base = was.createdAt === now.createdAt ? was : { ...now, skipped: 0, missed: 0 };
    const notices = COUNTS.filter(([, n]) => now[n] > base[n]).map(([type, n]) =>
      scheduleNotice(this.o.keys.scope, type, view, now[n] - base[n], now[n]),
    );
    if (notices.length === 0 && base === was) return;
    await this.o.keys.addNotices(notices);
    await this.o.keys.setMeta(name, JSON.stringify(now), stored.version);
  }
}
