// Scenario 3: distinct keys, many requests in flight at once.
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import { orderPrefix, type PaymentPath } from '../paths.js';
import type { Stack } from '../stack.js';
import { sustainedRate } from '../stats.js';

const SCENARIO = '3. distinct keys, throughput';

export async function throughput(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const concurrency of cfg.concurrencies) {
    const rate = async (p: PaymentPath): Promise<number> => {
      const prefix = orderPrefix(stack.persistence, p.tag, `s3c${concurrency}`);
      return sustainedRate(cfg.throughputSeconds * 1000, concurrency, (i) => p.firstRun(prefix + i));
    };
    const mine = await rate(stack.module);
    const tuned = await rate(stack.rawTuned);
    const stock = await rate(stack.rawStock);
    const common = {
      scenario: SCENARIO,
      metric: `${stack.module.label}, concurrency ${concurrency} for ${cfg.throughputSeconds} s`,
      unit: 'runs/s',
      persistence: stack.persistence,
      superscript: mine,
    };
    figures.push(
      figure({
        ...common,
        against: AGAINST.tuned,
        baseline: tuned,
        target: { on: 'ratio', op: '>=', limit: 0.9 },
      }),
      figure({
        ...common,
        against: AGAINST.stock,
        baseline: stock,
        target: { on: 'ratio', op: '>=', limit: 1.3 },
      }),
    );
  }
  return figures;
}
