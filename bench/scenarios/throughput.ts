// Scenario 3: distinct keys, many requests in flight at once.
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import { orderPrefix, type PaymentPath } from '../paths.js';
import type { Stack } from '../stack.js';
import { rate } from '../stats.js';

const SCENARIO = '3. distinct keys, throughput';

// A burst leaves the server busy for a moment (visibility updates, timers); let that settle before the next.
const SETTLE_MS = 1000;

export async function throughput(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [level, concurrency] of cfg.concurrencies.entries()) {
    const runs = cfg.throughputRounds * concurrency;
    const rates = new Map<PaymentPath, number>();
    const order = [stack.module, stack.rawTuned, stack.rawStock];
    // Alternate the order so no path always goes first, on the freshest database.
    for (const p of level % 2 === 0 ? order : order.reverse()) {
      const prefix = orderPrefix(stack.persistence, p.tag, `s3c${concurrency}`);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      rates.set(p, await rate(runs, concurrency, (i) => p.firstRun(prefix + i)));
    }
    const rateOf = (p: PaymentPath): number => rates.get(p)!;
    const common = {
      scenario: SCENARIO,
      metric: `${stack.module.label}, concurrency ${concurrency} (${runs} runs)`,
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
      figure({
        ...common,
        against: AGAINST.stock,
        baseline: rateOf(stack.rawStock),
        target: { on: 'ratio', op: '>=', limit: 1.3 },
      }),
    );
  }
  return figures;
}
