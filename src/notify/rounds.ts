// Work a worker does in rounds beside its runs (delivering the outbox, watching schedules): one round at a
// time, the next a fixed pause after the last ended (however long it took), and a stop that waits for the
// round under way, so an orderly stop leaves nothing half written.
export abstract class Rounds {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly pauseMs: number) {}

  /** One round; it handles its own errors (a failed round is the next one's to make up for). */
  protected abstract round(): Promise<void>;

  /** The first round at once. */
  start(): void {
    this.next(0);
  }

  /** No more rounds; resolves once the one under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private next(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.round().finally(() => this.next(this.pauseMs));
    }, ms);
  }
}
