// Delivering one event to one notification target: a signed JSON body (HMAC-SHA256 over the timestamp and
// the body, with the key the target's secretEnv names) or a message Slack's incoming webhooks accept. One
// HTTP request; any answer but 2xx is a failure, for the durable delivery around it to try again.
import { createHmac } from 'node:crypto';
import type { NotifyEvent, NotifyTarget } from './events.js';

/** Headers every JSON delivery carries; a receiver verifies the signature and dedupes on the delivery ID. */
export const HEADERS = {
  event: 'x-superscript-event',
  delivery: 'x-superscript-delivery',
  timestamp: 'x-superscript-timestamp',
  signature: 'x-superscript-signature',
} as const;

/** How long one delivery may take before it counts as failed (and is tried again). */
const DELIVERY_TIMEOUT_MS = 10_000;

/** A delivery the receiver did not take: the durable delivery tries it again, with backoff. */
export class DeliveryFailedError extends Error {
  override name = 'DeliveryFailedError';
}

/**
 * `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`: what a receiver computes with the shared secret and
 * compares in constant time, after refusing a timestamp too far from its own clock (a replayed delivery).
 */
export function signature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The request a target gets for an event. */
export function request(
  target: NotifyTarget,
  event: NotifyEvent,
  secret: string | undefined,
  now = Date.now(),
): { body: string; headers: Record<string, string> } {
  if (target.format === 'slack') {
    return {
      body: JSON.stringify({ text: slackText(event) }),
      headers: { 'content-type': 'application/json' },
    };
  }
  const body = JSON.stringify(event);
  const timestamp = String(Math.floor(now / 1000));
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [HEADERS.event]: event.type,
      [HEADERS.delivery]: event.id,
      [HEADERS.timestamp]: timestamp,
      ...(secret ? { [HEADERS.signature]: signature(secret, timestamp, body) } : {}),
    },
  };
}

/** Sends the event once; throws DeliveryFailedError unless the receiver answered 2xx. */
export async function deliver(
  target: NotifyTarget,
  event: NotifyEvent,
  secret: string | undefined,
): Promise<void> {
  const { body, headers } = request(target, event, secret);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new DeliveryFailedError(`Could not reach ${target.name} (${why}); the delivery is tried again.`);
  }
  await res.body?.cancel();
  if (res.status < 200 || res.status > 299) {
    throw new DeliveryFailedError(`${target.name} answered ${res.status}; the delivery is tried again.`);
  }
}

/** One line for people, with the link to where it needs a decision. */
function slackText(event: NotifyEvent): string {
  const link = event.link ? ` <${event.link}|open>` : '';
  switch (event.type) {
    case 'run.failed':
      return `:x: ${event.script} ${event.key} ${event.status}${event.message ? `: ${event.message}` : '.'}${link}`;
    case 'run.outcome_unknown':
      return `:warning: ${event.script} ${event.key} needs a decision: its outcome is unknown (it may or may not have done its work).${link}`;
    case 'batch.finished':
      return `:package: batch ${event.batchId} ${event.status}: ${event.progress.succeeded} succeeded, ${event.progress.failed} failed, ${event.progress.unknown} unknown, ${event.progress.alreadyDone} done earlier, ${event.progress.conflict} conflicts.${link}`;
    case 'schedule.skipped':
      return `:fast_forward: schedule ${event.schedule} (${event.script}) skipped ${event.count} fire(s), ${event.total} in all: the previous fire still ran.${link}`;
    case 'schedule.missed':
      return `:hourglass: schedule ${event.schedule} (${event.script}) missed ${event.count} fire(s), ${event.total} in all: they came later than its catch-up window (run them with backfill).${link}`;
    case 'test':
      return `:bell: a test notification from SuperScript to ${event.target}.`;
  }
}
