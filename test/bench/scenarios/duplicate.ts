// Scenario 2: a request for a key whose run has completed; it must answer with the stored result.
import type { BenchConfig } from '../config.js';
import { AGAINST, TARGETS, roundsFigure, type Figure } from '../figures.js';
import type { Stack } from '../stack.js';
import { perRound, sequentialRounds } from '../stats.js';
import { completedKey } from './first-run.js';

const SCENARIO = '2. duplicate of a completed key';

export async function duplicate(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const paths = [stack.module, stack.http, stack.rawTuned];
  for (let i = 0; i < cfg.warmup; i++) {
    for (const p of paths) await p.duplicate(completedKey(stack, p, cfg, i));
  }
  const samples = await sequentialRounds(paths, cfg.duplicateRuns, cfg.rounds, (p, seq) =>
    p.duplicate(completedKey(stack, p, cfg, seq)),
  );

  return [stack.module, stack.http].flatMap((ss) =>
    (
      [
        ['p50', 50],
        ['p90', 90],
        ['p99', 99],
      ] as const
    ).map(([pct, p]) =>
      roundsFigure({
        scenario: SCENARIO,
        metric: `${ss.label} latency ${pct} (raw: describe and result at once)`,
        unit: 'ms',
        persistence: stack.persistence,
        against: AGAINST.tuned,
        superscript: perRound(samples.get(ss)!, p),
        baseline: perRound(samples.get(stack.rawTuned)!, p),
        ...(pct === 'p50' ? { target: TARGETS.duplicate } : {}),
      }),
    ),
  );
}
