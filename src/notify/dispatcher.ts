// Delivers the outbox's notices, in every worker process: it leases the notices that are due (so two workers
// do not send one at the same time), fans an event out to the targets that want it, sends each, and records
// the try: delivered, or due again after a backoff. It runs beside the worker and never in a run's way; a
// receiver that is down only delays its own notices. Delivery is at least once: a receiver dedupes on the ID.
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { ConfigError } from '../errors.js';
import type { KeyStore, NoticeAttempt, NoticeState } from '../keystore/store.js';
import { processRegistry } from '../metrics/exposition.js';
import { deliver } from './deliver.js';
import { wants, withLink, type NotifyEvent, type NotifyTarget } from './events.js';
import { Rounds } from './rounds.js';

/** How often the outbox is looked at; a run's notice waits at most this long before its first try. */
const POLL_MS = 1000;
/** A dispatcher holds a notice this long: past a delivery's own timeout, so only a dead one loses it. */
const LEASE_MS = 60_000;
/** Notices taken per look. */
const BATCH = 20;
/** The first retry's wait; each failure doubles it, up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10 * 60_000;

let metrics: { deliveries: Counter<'target' | 'outcome'>; pending: Gauge } | undefined;

function notifyMetrics() {
  metrics ??= {
    deliveries: new Counter({
      name: 'superscript_notify_deliveries_total',
      help: 'Tries to deliver a notification, by target and outcome (delivered or failed).',
      labelNames: ['target', 'outcome'],
      registers: [processRegistry()],
    }),
    pending: new Gauge({
      name: 'superscript_notify_pending',
      help: 'Notifications in the outbox not delivered yet (as this worker last saw it).',
      registers: [processRegistry()],
    }),
  };
  return metrics;
}

/**
 * Each json target's signing key, from the environment variable its secretEnv names: a target whose
 * variable is unset or empty stops the worker at start-up, rather than its deliveries failing later.
 */
export function notifySecrets(
  targets: readonly NotifyTarget[],
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const t of targets) {
    if (t.secretEnv === undefined) continue;
    const secret = env[t.secretEnv];
    if (!secret) {
      throw new ConfigError(
        `Notification target "${t.name}" signs its deliveries with the key in the environment variable ${t.secretEnv}, which is not set: set it in the worker's environment, or remove the target from the config file.`,
      );
    }
    secrets.set(t.name, secret);
  }
  return secrets;
}

export interface DispatcherOptions {
  keys: KeyStore;
  targets: readonly NotifyTarget[];
  secrets: Map<string, string>;
  /** The web UI's public base URL, for links (SUPERSCRIPT_PUBLIC_URL). */
  publicUrl?: string;
  log: Logger;
}

/** Waits before the next try of a notice that has failed `attempts` times (this one included). */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

/** Its rounds look at the outbox; a stop waits for the deliveries under way to be recorded. */
export class Dispatcher extends Rounds {
  private readonly metrics = notifyMetrics();
  private readonly targets: Map<string, NotifyTarget>;

  constructor(private readonly o: DispatcherOptions) {
    super(POLL_MS);
    this.targets = new Map(o.targets.map((t) => [t.name, t]));
    for (const t of o.targets) this.metrics.deliveries.inc({ target: t.name, outcome: 'failed' }, 0);
  }

  protected async round(): Promise<void> {
    try {
      const now = Date.now();
      const due = await this.o.keys.leaseNotices(iso(now), iso(now + LEASE_MS), BATCH);
      // Every notice's try is recorded (or fails) before the look ends, so a stop waits for all of them.
      const tries = await Promise.allSettled(due.map((n) => this.handle(n)));
      const failed = tries.find((t) => t.status === 'rejected');
      if (failed) throw failed.reason;
      this.metrics.pending.set(await this.o.keys.pendingNotices());
    } catch (err) {
      // The key store is away: the notices wait in it, and the next look tries again.
      this.o.log.warn({ err }, 'could not read the notification outbox; trying again');
    }
  }

  private async handle(n: NoticeState): Promise<void> {
    const event = JSON.parse(n.body) as NotifyEvent;
    if (n.target === '') {
      // Fanned out once to the targets that want it; a repeat (after a lost record) adds nothing twice.
      const to = [...this.targets.values()].filter((t) => wants(t, event));
      await this.o.keys.addNotices(to.map((t) => ({ ...n, target: t.name })));
      await this.o.keys.noteAttempt(n.id, '', { deliveredAt: iso(Date.now()) });
      return;
    }
    let attempt: NoticeAttempt;
    try {
      const target = this.targets.get(n.target);
      if (!target) {
        throw new ConfigError(`No notification target "${n.target}" in this worker's config file.`);
      }
      await deliver(target, withLink(event, this.o.publicUrl), this.o.secrets.get(target.name));
      attempt = { deliveredAt: iso(Date.now()) };
    } catch (err) {
      attempt = { error: (err as Error).message, dueAt: iso(Date.now() + backoffMs(n.attempts + 1)) };
      this.o.log.warn({ target: n.target, id: n.id, type: n.type, ...attempt }, 'notification not delivered');
    }
    const outcome = 'deliveredAt' in attempt ? 'delivered' : 'failed';
    this.metrics.deliveries.inc({ target: n.target, outcome });
    await this.o.keys.noteAttempt(n.id, n.target, attempt);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
