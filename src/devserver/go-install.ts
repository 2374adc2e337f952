// Builds an official Go command once, with `go install module@version`, into SuperScript's per-user cache;
// the Temporal CLI and the full Temporal server are built this way when they are not installed.
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { MissingToolError } from '../errors.js';

/** SuperScript's cache folder: $XDG_CACHE_HOME/superscript or ~/.cache/superscript. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'superscript');
}

export interface GoInstall {
  /** The command's package path, e.g. go.temporal.io/server/cmd/server. */
  module: string;
  version: string;
  /** The oldest Go that builds it: what the module's go.mod asks for. */
  goVersion: string;
  /** Where the binary goes; it only ever appears there complete. */
  target: string;
  /** The name `go install` gives the binary (the package's last path element). */
  builtName: string;
  ldflags?: string;
  /** Said before the build starts, e.g. "building Temporal CLI 1.5.1 once, ~3 min". */
  announce: string;
  log: (line: string) => void;
  /** What to do instead when the build cannot run, for the error message. */
  otherwise: string;
}

export async function goInstall(b: GoInstall): Promise<string> {
  const go = findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new MissingToolError(
      `Go is not installed to build ${b.module}@v${b.version}. Install Go ${b.goVersion} or newer (https://go.dev/dl/), or ${b.otherwise}.`,
    );
  }
  b.log(`${b.announce}, into ${path.dirname(b.target)}`);
  const started = Date.now();
  const parent = path.dirname(path.dirname(b.target));
  mkdirSync(parent, { recursive: true });
  // Build into a private folder and rename, so concurrent first runs never see a half-written binary.
  const staging = mkdtempSync(path.join(parent, 'build-'));
  const args = ['install', ...(b.ldflags ? ['-ldflags', b.ldflags] : []), `${b.module}@v${b.version}`];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(go, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: staging },
    });
    child.once('error', () => resolve(null));
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new MissingToolError(
      `Building with \`go ${args.join(' ')}\` failed (exit ${code}). ` +
        `Check that the Go module proxy is reachable, or ${b.otherwise}.`,
    );
  }
  mkdirSync(path.dirname(b.target), { recursive: true });
  renameSync(path.join(staging, b.builtName), b.target);
  rmSync(staging, { recursive: true, force: true });
  b.log(`built ${b.target} in ${Math.round((Date.now() - started) / 1000)} s`);
  return b.target;
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
