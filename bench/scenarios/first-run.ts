// Scenario 1: a new key, one request at a time, waiting for the script's result.
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import { orderPrefix, type PaymentPath } from '../paths.js';
import type { Stack } from '../stack.js';
import { percentiles, sequentialBlocks } from '../stats.js';

const SCENARIO = '1. first run, sequential';

export async function firstRun(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const paths = [stack.module, stack.http, stack.rawTuned, stack.rawStock].filter((p) => p !== undefined);
  const key = (p: PaymentPath, what: string, i: number) => orderPrefix(stack.persistence, p.tag, what) + i;
  for (let i = 0; i < cfg.warmup; i++) {
    for (const p of paths) await p.firstRun(key(p, 'warm', i));
  }
  const samples = await sequentialBlocks(paths, cfg.latencyRuns, (p, seq) => p.firstRun(key(p, 's1', seq)));

  const figures: Figure[] = [];
  for (const ss of [stack.module, stack.http]) {
    const mine = percentiles(samples.get(ss)!);
    for (const [against, base, limit] of [
      [AGAINST.tuned, stack.rawTuned, 1.1],
      [AGAINST.stock, stack.rawStock, 0.3],
    ] as const) {
      if (!base) continue;
      const theirs = percentiles(samples.get(base)!);
      for (const pct of ['p50', 'p90', 'p99'] as const) {
        figures.push(
          figure({
            scenario: SCENARIO,
            metric: `${ss.label} latency ${pct}`,
            unit: 'ms',
            persistence: stack.persistence,
            against,
            superscript: mine[pct],
            baseline: theirs[pct],
            // p99 of a few hundred samples is a handful of outliers: reported, not held to the target.
            ...(pct === 'p99' ? {} : { target: { on: 'ratio', op: '<=', limit } }),
          }),
        );
      }
    }
  }
  return figures;
}

/** The completed keys scenario 1 left for `path`, for scenario 2 to request again. */
export function completedKey(stack: Stack, path: PaymentPath, cfg: BenchConfig, i: number): string {
  return orderPrefix(stack.persistence, path.tag, 's1') + (i % cfg.latencyRuns);
}
