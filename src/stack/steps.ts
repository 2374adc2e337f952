// The orderly stop of what a stack started: each part a named step, stopped newest first (API, then
// workers, then key store, then server), also when start-up fails midway.

export interface StopStep {
  name: string;
  stop: () => Promise<void>;
}

/**
 * Runs every step in the order given, even after one fails, so nothing is left running; then throws the
 * first failure, if there was one.
 */
export async function stopAll(steps: readonly StopStep[]): Promise<void> {
  let failure: { err: unknown } | undefined;
  for (const step of steps) {
    try {
      await step.stop();
    } catch (err) {
      failure ??= { err };
    }
  }
  if (failure) throw failure.err;
}

/** A stop that does its work once, however often it is called (a worker a test stopped, then the stack). */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}
