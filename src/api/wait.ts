// How many requests may wait for a run's result at once, and that a wait ends when its caller goes away. Only
// the wait ends: the run goes on. (How long one waits, `?wait=30s`, is the Wait schema's.)
import type { FastifyReply } from 'fastify';
import { CallerGoneError, TooBusyError } from '../errors.js';

/** Each waiting request holds a connection and a long poll on Temporal: at most `max` at once. */
export class WaitGate {
  private held = 0;

  constructor(readonly max: number) {}

  get waiting(): number {
    return this.held;
  }

  /**
   * Runs `work` with a signal that aborts when the caller goes away. A request that would wait past the
   * bound is refused before `work` starts anything (TooBusyError, 503 with Retry-After).
   */
  async run<T>(waitMs: number, reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const waits = waitMs > 0;
    if (waits && this.held >= this.max) {
      throw new TooBusyError(
        `${this.max} requests are already waiting for results. Send the request again shortly, or with ?wait=0 to get 202 at once.`,
      );
    }
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) gone.abort(new CallerGoneError());
    };
    reply.raw.once('close', onClose);
    if (waits) this.held++;
    try {
      return await work(gone.signal);
    } finally {
      if (waits) this.held--;
      reply.raw.off('close', onClose);
    }
  }
}
