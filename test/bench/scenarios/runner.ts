// Scenario 6: the script runner alone, no Temporal: how much runProcess (own process group, reaper
// bookkeeping, capped capture) adds to spawning a process that does nothing.
import { spawn } from 'node:child_process';
import { runProcess } from '../../../src/process/spawn.js';
import type { BenchConfig } from '../config.js';
import { AGAINST, figure, type Figure } from '../figures.js';
import { percentiles, timed } from '../stats.js';

const SCENARIO = '6. script runner alone';

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
    // The floor with capture: stdout and stderr piped and read to the end, as runProcess does. (Not execFile:
    // it pipes stdin too, and bash -c with a socket on stdin and no SHLVL sources ~/.bashrc, as if run by
    // sshd, which here costs ~100 ms and measures the rc file, not the spawn.)
    captured: () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn('bash', ['-c', 'true'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.resume();
        child.stderr.resume();
        child.once('error', reject);
        child.once('close', () => resolve());
      }),
  };
  const samples = { runProcess: [] as number[], floor: [] as number[], captured: [] as number[] };
  const names = Object.keys(paths) as (keyof typeof paths)[];
  for (let i = 0; i < cfg.warmup; i++) for (const name of names) await paths[name]();
  for (let i = 0; i < cfg.spawnRuns; i++) {
    for (const name of names) samples[name].push(await timed(paths[name]));
  }

  const mine = percentiles(samples.runProcess);
  const figures: Figure[] = [];
  for (const [against, base] of [
    [AGAINST.floor, percentiles(samples.floor)],
    ['bash -c true via child_process, output piped', percentiles(samples.captured)],
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
