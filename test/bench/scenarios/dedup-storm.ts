// Scenario 4: many concurrent requests over few new keys. Each key's script must run exactly once.
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import { orderPrefix, type PaymentPath } from '../paths.js';
import type { Stack } from '../stack.js';
import { settleAll, timed } from '../stats.js';

const SCENARIO = '4. dedup storm';

export async function dedupStorm(stack: Stack, cfg: BenchConfig): Promise<Figure[]> {
  const storm = async (p: PaymentPath): Promise<{ ms: number; executions: number }> => {
    const prefix = orderPrefix(stack.persistence, p.tag, 's4');
    const ms = await timed(() =>
      settleAll(Array.from({ length: cfg.stormRequests }, (_, i) => p.dedup(prefix + (i % cfg.stormKeys)))),
    );
    return { ms, executions: p.executions(prefix) };
  };
  const raw = await storm(stack.rawTuned);
  const what = `${cfg.stormRequests} requests over ${cfg.stormKeys} keys`;
  const figures: Figure[] = [];
  for (const ss of [stack.module, stack.http]) {
    const mine = await storm(ss);
    figures.push(
      figure({
        scenario: SCENARIO,
        metric: `${ss.label}, ${what}: time until all answered`,
        unit: 'ms',
        persistence: stack.persistence,
        against: AGAINST.tuned,
        superscript: mine.ms,
        baseline: raw.ms,
      }),
      figure({
        scenario: SCENARIO,
        metric: `${ss.label}, ${what}: executions (ledger lines)`,
        unit: 'runs',
        persistence: stack.persistence,
        against: AGAINST.tuned,
        superscript: mine.executions,
        baseline: raw.executions,
        target: { on: 'value', op: '=', limit: cfg.stormKeys },
      }),
    );
  }
  return figures;
}
