// Programs some tests drive that npm cannot install: the test command installs them from Debian's packages,
// so `npm install && npm test` is the whole set-up on a fresh machine, as it is in `.ci/run`.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { postgresInstalled } from '../../src/cluster/postgres.js';

export interface SystemProgram {
  what: string;
  installed: () => boolean;
  /** The Debian package that provides it. */
  debianPackage: string;
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM: SystemProgram = {
  what: 'Chromium (the web UI test drives it)',
  installed: () => existsSync(CHROMIUM_PATH),
  debianPackage: 'chromium',
};

/** Only its programs are used (the cluster runs its own instance), never the system's service. */
export const POSTGRESQL: SystemProgram = {
  what: 'PostgreSQL (the cluster faults run it)',
  installed: postgresInstalled,
  debianPackage: 'postgresql',
};

// invoke-rc.d asks this script whether a package may start its service: 101 says no.
const POLICY_RC = '/usr/sbin/policy-rc.d';

/** Installs the programs that are missing with apt-get; throws, naming the fix, where it cannot. */
export function ensureSystemPrograms(programs: SystemProgram[]): void {
  const missing = programs.filter((p) => !p.installed());
  if (missing.length === 0) return;
  const packages = missing.map((p) => p.debianPackage);
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `The tests need ${missing.map((p) => p.what).join(' and ')}: install ${packages.join(', ')} ` +
        `(apt-get install ${packages.join(' ')}) and run them again.`,
    );
  }
  console.log(`installing ${packages.join(', ')} from Debian's packages for the tests`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    for (const args of [['update'], ['install', '-y', ...packages]]) {
      const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal}).`);
    }
  } finally {
    if (ownPolicy) rmSync(POLICY_RC, { force: true });
  }
}
