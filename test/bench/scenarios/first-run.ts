// Scenario 1: a new key, one request at a time, waiting for the script's result.
import type { BenchConfig } from '../config.js';
import { AGAINST, TARGETS, roundsFigure, type Figure } from '../figures.js';
import { orderPrefix, type PaymentPath } from '../paths.js';
import type { Stack } from '../stack.js';
import { perRound, sequentialRounds } from '../stats.js';

const SCENARIO = '1. first run, sequential';

export async function firstRun(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const paths = [stack.module, stack.http, stack.rawTuned, stack.rawStock].filter((p) => p !== undefined);
  const key = (p: PaymentPath, what: string, i: number) => orderPrefix(stack.persistence, p.tag, what) + i;
  for (let i = 0; i < cfg.warmup; i++) {
    for (const p of paths) await p.firstRun(key(p, 'warm', i));
  }
  const samples = await sequentialRounds(paths, cfg.latencyRuns, cfg.rounds, (p, seq) =>
    p.firstRun(key(p, 's1', seq)),
  );

  const figures: Figure[] = [];
  for (const ss of [stack.module, stack.http]) {
    for (const [against, base, target, held] of [
      [AGAINST.tuned, stack.rawTuned, TARGETS.firstRunVsTuned, ['p50']],
      [AGAINST.stock, stack.rawStock, TARGETS.firstRunVsStock, ['p50', 'p90']],
    ] as const) {
      if (!base) continue;
      for (const [pct, p] of [
        ['p50', 50],
        ['p90', 90],
        ['p99', 99],
      ] as const) {
        figures.push(
          roundsFigure({
            scenario: SCENARIO,
            metric: `${ss.label} latency ${pct}`,
            unit: 'ms',
            persistence: stack.persistence,
            against,
            superscript: perRound(samples.get(ss)!, p),
            baseline: perRound(samples.get(base)!, p),
            // p99 of a few dozen samples a round is a handful of outliers: reported, not held to a target.
            ...((held as readonly string[]).includes(pct) ? { target } : {}),
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
