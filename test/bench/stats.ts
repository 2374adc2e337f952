// Timing and percentile helpers.
import { performance } from 'node:perf_hooks';

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

export function percentiles(samples: number[]): Percentiles {
  return { p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99) };
}

/** Milliseconds `fn` took. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// The first calls after a path sat idle are unrepresentative: the stock server's task rate limiter refills
// meanwhile (back to back it answers in ~150 ms, after a pause in ~60 ms). Each block discards this many.
const SETTLE = 2;

/**
 * `runs` sequential, back-to-back calls per path, measured in ms, in `rounds` rounds: within a round the
 * paths take turns (their order rotating each round), so drift on a shared machine (and a growing server
 * database) hits all alike and each round compares the paths side by side. Samples come back per round.
 * `call` gets a per-path sequence number, unique across measured and discarded calls.
 */
export async function sequentialRounds<P>(
  paths: readonly P[],
  runs: number,
  rounds: number,
  call: (path: P, seq: number) => Promise<unknown>,
): Promise<Map<P, number[][]>> {
  const samples = new Map(paths.map((p) => [p, [] as number[][]]));
  const seqs = new Map(paths.map((p) => [p, 0]));
  const next = (p: P): number => {
    const seq = seqs.get(p)!;
    seqs.set(p, seq + 1);
    return seq;
  };
  for (let r = 0; r < rounds; r++) {
    const size = Math.floor((runs * (r + 1)) / rounds) - Math.floor((runs * r) / rounds);
    for (const p of paths.map((_, i) => paths[(i + r) % paths.length]!)) {
      for (let i = 0; i < SETTLE; i++) await call(p, next(p));
      const round: number[] = [];
      for (let i = 0; i < size; i++) {
        const seq = next(p);
        round.push(await timed(() => call(p, seq)));
      }
      samples.get(p)!.push(round);
    }
  }
  return samples;
}

/** The `p` percentile of each round's samples. */
export function perRound(rounds: number[][], p: number): number[] {
  return rounds.map((samples) => percentile(samples, p));
}

/**
 * Runs `fn(0..count-1)` with `concurrency` calls in flight; completed calls per second. Ramp-up and drain
 * each cost about one latency, so for a count of k × concurrency every path is under-read by the same
 * factor k/(k+1) and their ratios stay fair, even for a slow path whose latency exceeds a fixed time window.
 */
export async function rate(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  const ms = await timed(() => settleAll(Array.from({ length: Math.min(concurrency, count) }, lane)));
  return count / (ms / 1000);
}

/** Like Promise.all, but waits for every promise before throwing the first failure, so nothing started by a
 * failed measurement is still running when the next one begins. */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
