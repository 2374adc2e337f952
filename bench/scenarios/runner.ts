// Scenario 6: the script runner alone, no Temporal: how much runProcess (own process group, reaper
// bookkeeping, capped capture) adds to spawning a process that does nothing.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { runProcess } from '../../src/runner/run-process.js';
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import { percentiles, timed } from '../stats.js';

const SCENARIO = '6. script runner alone';
const execFileAsync = promisify(execFile);

export async function runner(cfg: BenchConfig): Promise<Figure[]> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const paths = {
    runProcess: async () => {
      const o = await runProcess({
        command: 'bash',
        args: ['-c', 'true'],
        env,
        timeoutMs: 10_000,
        killGraceMs: 1000,
        maxOutputBytes: 256 * 1024,
      });
      if (o.exitCode !== 0) throw new Error(`runProcess: bash -c true exited ${o.exitCode ?? o.signal}`);
    },
    // The physical floor: spawn and wait for exit, nothing captured.
    floor: () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn('bash', ['-c', 'true'], { env, stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', () => resolve());
      }),
    // What a hand-written activity does: execFile, capturing output.
    execFile: () => execFileAsync('bash', ['-c', 'true'], { env }),
  };
  const samples = { runProcess: [] as number[], floor: [] as number[], execFile: [] as number[] };
  const names = Object.keys(paths) as (keyof typeof paths)[];
  for (let i = 0; i < cfg.warmup; i++) for (const name of names) await paths[name]();
  for (let i = 0; i < cfg.spawnRuns; i++) {
    for (const name of names) samples[name].push(await timed(paths[name]));
  }

  const mine = percentiles(samples.runProcess);
  const figures: Figure[] = [];
  for (const [against, base] of [
    [AGAINST.floor, percentiles(samples.floor)],
    ['execFile bash -c true (captures output)', percentiles(samples.execFile)],
  ] as const) {
    for (const pct of ['p50', 'p90'] as const) {
      figures.push(
        figure({
          scenario: SCENARIO,
          metric: `runProcess(bash -c true) spawn-to-exit ${pct}`,
          unit: 'ms',
          persistence: null,
          against,
          superscript: mine[pct],
          baseline: base[pct],
        }),
      );
    }
  }
  return figures;
}
