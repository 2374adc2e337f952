// A computation for /metrics that reads Temporal, run at most once per interval however often /metrics is
// scraped: scrapes share the one in flight (even one that outlasts the interval), and scrapes within the
// interval get its values.

export interface ThrottleOptions {
  intervalMs: number;
  /** The clock the interval is measured by. Default Date.now; tests move time themselves. */
  now?: () => number;
}

export function throttled<T>(compute: () => Promise<T>, options: ThrottleOptions): () => Promise<T> {
  const { intervalMs, now = Date.now } = options;
  let last: { at: number; values: Promise<T>; done: boolean } | undefined;
  return () => {
    const at = now();
    if (!last || (last.done && at - last.at >= intervalMs)) {
      const started = { at, values: compute(), done: false };
      void started.values.finally(() => (started.done = true));
      last = started;
    }
    return last.values;
  };
}
