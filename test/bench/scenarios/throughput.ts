// Scenario 3: distinct keys, many requests in flight at once.
import type { BenchConfig } from '../config.js';
import { AGAINST, TARGETS, roundsFigure, type Figure } from '../figures.js';
import { orderPrefix, type PaymentPath } from '../paths.js';
import type { Stack } from '../stack.js';
import { rate } from '../stats.js';

const SCENARIO = '3. distinct keys, throughput';

// A burst leaves the server busy for a moment (visibility updates, timers); let that settle before the next.
const SETTLE_MS = 500;

export async function throughput(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const figures: Figure[] = [];
  const paths = [stack.module, stack.rawTuned, stack.rawStock].filter((p) => p !== undefined);
  for (const concurrency of cfg.concurrencies) {
    // Each round, each path keeps `concurrency` runs in flight until it has done 2 x concurrency of them
    // (steady state, not one burst); the order rotates each round so no path always goes first. A warm-up
    // round first, not counted.
    const samples = new Map<PaymentPath, number[]>(paths.map((p) => [p, []]));
    for (let round = -1; round < cfg.rounds; round++) {
      for (let i = 0; i < paths.length; i++) {
        const path = paths[(i + Math.max(round, 0)) % paths.length]!;
        const prefix = orderPrefix(stack.persistence, path.tag, `s3c${concurrency}r${round + 1}`);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        const r = await rate(2 * concurrency, concurrency, (n) => path.firstRun(prefix + n));
        if (round >= 0) samples.get(path)!.push(r);
      }
    }
    const common = {
      scenario: SCENARIO,
      metric: `${stack.module.label}, concurrency ${concurrency} (rounds of ${2 * concurrency} runs)`,
      unit: 'runs/s',
      persistence: stack.persistence,
      superscript: samples.get(stack.module)!,
    };
    figures.push(
      roundsFigure({
        ...common,
        against: AGAINST.tuned,
        baseline: samples.get(stack.rawTuned)!,
        target: TARGETS.throughputVsTuned,
      }),
    );
    if (stack.rawStock) {
      figures.push(
        roundsFigure({
          ...common,
          against: AGAINST.stock,
          baseline: samples.get(stack.rawStock)!,
          target: TARGETS.throughputVsStock,
        }),
      );
    }
  }
  return figures;
}
