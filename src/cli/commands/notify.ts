// `superscript notify test NAME`: puts a test event for one notification target into the installation's
// outbox and waits for a worker to deliver it (workers deliver, so this works with the API down), then says
// how it went: delivered, or the receiver's last answer.
import { InvalidRequestError } from '../../errors.js';
import { testNotice } from '../../notify/events.js';
import type { Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { openConfigured } from './keys.js';

/** How often the outbox is read while waiting. */
const POLL_MS = 250;

export async function notifyTest(ctx: Context, name: string, o: { wait: number }): Promise<number> {
  if (!ctx.registry.notify.some((t) => t.name === name)) {
    const names = ctx.registry.notify.map((t) => t.name).join(', ') || '(none)';
    throw new InvalidRequestError(
      `No notification target "${name}" in the config file; its targets: ${names}.`,
    );
  }
  const store = await openConfigured(ctx);
  try {
    const notice = testNotice(name);
    await store.addNotices([notice]);
    process.stderr.write(`test event ${notice.id} queued for ${name}; waiting for a worker to deliver it\n`);
    const until = Date.now() + o.wait * 1000;
    for (;;) {
      const state = (await store.notices(50)).find((n) => n.id === notice.id && n.target === name);
      if (state?.deliveredAt) {
        process.stdout.write(
          `delivered to ${name} (delivery ID ${notice.id}, ${state.attempts} attempt(s))\n`,
        );
        return EXIT.ok;
      }
      if (Date.now() >= until) {
        process.stdout.write(
          state?.lastError
            ? `not delivered to ${name} yet, after ${state.attempts} attempt(s): ${state.lastError} (a worker tries again)\n`
            : `not delivered to ${name} yet: no worker has tried it (workers deliver; is one running?). It stays queued.\n`,
        );
        return EXIT.error;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await store.close();
  }
}
