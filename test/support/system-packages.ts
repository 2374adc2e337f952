// Programs some tests drive that npm cannot install: the test command installs them from Debian's packages,
// so `npm install && npm test` is the whole set-up on a fresh machine, as it is in `.ci/run`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface SystemProgram {
  /** Absolute path the tests run it from. */
  path: string;
  /** The Debian package that provides it. */
  debianPackage: string;
}

export const CHROMIUM: SystemProgram = { path: '/usr/bin/chromium', debianPackage: 'chromium' };

/** Installs the programs that are missing with apt-get; throws, naming the fix, where it cannot. */
export function ensureSystemPrograms(programs: SystemProgram[]): void {
  const missing = programs.filter((p) => !existsSync(p.path));
  if (missing.length === 0) return;
  const packages = missing.map((p) => p.debianPackage);
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `The tests need ${missing.map((p) => p.path).join(', ')}: install ${packages.join(', ')} ` +
        `(apt-get install ${packages.join(' ')}) and run them again.`,
    );
  }
  console.log(`installing ${packages.join(', ')} from Debian's packages for the tests`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', ...packages]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal}).`);
  }
}
