// Running the built CLI (bin/superscript.js, so `npm run build` first) as a child process.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `superscript ARGS` with `env` over this process's environment; a value of '' unsets a variable. */
export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const merged = Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== '');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'superscript.js'), ...args], {
      cwd,
      env: Object.fromEntries(merged),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
