// Each schedule's skipped and missed fires for /metrics, read from Temporal at most once per interval.
//
// Temporal does not alert on a skipped or missed fire: it only counts them on the schedule (skipped while
// the previous fire ran, missed past the catch-up window). The counts live in Temporal, so the API reads
// them there, like the batch gauges: every API process reports the same totals, and a restart neither
// loses nor repeats any. A deleted schedule leaves the series.
import { Counter, type Registry } from 'prom-client';
import { throttled } from '../metrics/throttled.js';
import type { ScheduleService } from '../schedules/service.js';
import type { ScheduleView } from '../shared/schemas/schedules.js';
import { BATCH_GAUGES_INTERVAL_MS, type BatchGaugeOptions } from './batch-gauges.js';

export function scheduleCounts(
  registry: Registry,
  schedules: ScheduleService,
  /** As often as the batch gauges (by default every 15 s at most). */
  options: BatchGaugeOptions = {},
): void {
  const { intervalMs = BATCH_GAUGES_INTERVAL_MS, now } = options;
  // With Temporal unreachable the scrape still answers, without these series.
  const current = throttled(() => schedules.list().catch((): ScheduleView[] => []), { intervalMs, now });
  const counter = (name: string, help: string, count: (v: ScheduleView) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['schedule'],
      registers: [registry],
      async collect() {
        const views = await current();
        // Temporal's own totals, as they stand: the counter is set to them, never counted here.
        this.reset();
        for (const v of views) this.inc({ schedule: v.name }, count(v));
      },
    });
  counter(
    'superscript_schedule_fires_skipped_total',
    'Fires a schedule skipped because its previous fire still ran (overlap policy skip), by schedule.',
    (v) => v.fires.skippedOverlap,
  );
  counter(
    'superscript_schedule_fires_missed_total',
    'Fires a schedule missed because they came later than its catch-up window (Temporal was unreachable).',
    (v) => v.fires.missedCatchUpWindow,
  );
}
