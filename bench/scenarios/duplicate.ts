// Scenario 2: a request for a key whose run has completed; it must answer with the stored result.
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import type { Stack } from '../stack.js';
import { percentiles, sequentialBlocks } from '../stats.js';
import { completedKey } from './first-run.js';

const SCENARIO = '2. duplicate of a completed key';

export async function duplicate(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const paths = [stack.module, stack.http, stack.rawTuned];
  for (let i = 0; i < cfg.warmup; i++) {
    for (const p of paths) await p.duplicate(completedKey(stack, p, cfg, i));
  }
  const samples = await sequentialBlocks(paths, cfg.duplicateRuns, (p, seq) =>
    p.duplicate(completedKey(stack, p, cfg, seq)),
  );

  const theirs = percentiles(samples.get(stack.rawTuned)!);
  return [stack.module, stack.http].flatMap((ss) => {
    const mine = percentiles(samples.get(ss)!);
    return (['p50', 'p90', 'p99'] as const).map((pct) =>
      figure({
        scenario: SCENARIO,
        metric: `${ss.label} latency ${pct} (raw: describe + result)`,
        unit: 'ms',
        persistence: stack.persistence,
        against: AGAINST.tuned,
        superscript: mine[pct],
        baseline: theirs[pct],
        ...(pct === 'p99' ? {} : { target: { on: 'ratio', op: '<=', limit: 1.5 } }),
      }),
    );
  });
}
