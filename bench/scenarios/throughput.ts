// Scenario 3: distinct keys, many requests in flight at once.
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import { orderPrefix, type PaymentPath } from '../paths.js';
import type { Stack } from '../stack.js';
import { percentile, rate } from '../stats.js';

const SCENARIO = '3. distinct keys, throughput';

// A burst leaves the server busy for a moment (visibility updates, timers); let that settle before the next.
const SETTLE_MS = 500;

export async function throughput(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const figures: Figure[] = [];
  const paths = [stack.module, stack.rawTuned, stack.rawStock].filter((p) => p !== undefined);
  for (const concurrency of cfg.concurrencies) {
    // Each round, each path keeps `concurrency` runs in flight until it has done 2 x concurrency of them
    // (steady state, not one burst); the order rotates each round so no path always goes first, and the
    // figure is the median round. A warm-up round first, not counted.
    const samples = new Map<PaymentPath, number[]>(paths.map((p) => [p, []]));
    for (let round = -1; round < cfg.throughputRounds; round++) {
      for (let i = 0; i < paths.length; i++) {
        const path = paths[(i + Math.max(round, 0)) % paths.length]!;
        const prefix = orderPrefix(stack.persistence, path.tag, `s3c${concurrency}r${round + 1}`);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        const r = await rate(2 * concurrency, concurrency, (n) => path.firstRun(prefix + n));
        if (round >= 0) samples.get(path)!.push(r);
      }
    }
    const rates = new Map([...samples].map(([p, rs]) => [p, percentile(rs, 50)]));
    const rateOf = (p: PaymentPath): number => rates.get(p)!;
    const common = {
      scenario: SCENARIO,
      metric: `${stack.module.label}, concurrency ${concurrency} (median of ${cfg.throughputRounds} rounds of ${2 * concurrency} runs)`,
      unit: 'runs/s',
      persistence: stack.persistence,
      superscript: rateOf(stack.module),
    };
    figures.push(
      figure({
        ...common,
        against: AGAINST.tuned,
        baseline: rateOf(stack.rawTuned),
        target: { on: 'ratio', op: '>=', limit: 0.9 },
      }),
    );
    if (stack.rawStock) {
      figures.push(
        figure({
          ...common,
          against: AGAINST.stock,
          baseline: rateOf(stack.rawStock),
          target: { on: 'ratio', op: '>=', limit: 1.3 },
        }),
      );
    }
  }
  return figures;
}
