// Finds the Temporal CLI, or builds the pinned official one once from its Go module into a per-user cache.
// Order: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the cache, then a build.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TemporalCliError } from '../errors.js';

export const TEMPORAL_CLI_VERSION = '1.5.1';
/**
 * The oldest CLI whose `server start-dev` takes every flag dev-server.ts passes: --db-filename,
 * --sqlite-pragma, --dynamic-config-value and --headless are older; --search-attribute came in 0.13.1.
 */
export const MIN_TEMPORAL_CLI_VERSION = '0.13.1';
/** What the CLI module's go.mod asks for (`go 1.25.0`); an older Go cannot build it. */
const GO_VERSION = '1.25';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

const run = promisify(execFile);

export interface CliLookup {
  /** TEMPORAL_CLI_PATH, which wins when set. */
  explicitPath?: string;
  /** Where progress lines go (the build takes minutes). */
  log?: (line: string) => void;
}

export async function ensureTemporalCli(opts: CliLookup = {}): Promise<string> {
  const log = opts.log ?? ((line: string) => console.error(line));
  if (opts.explicitPath) {
    if (!isExecutable(opts.explicitPath)) {
      throw new TemporalCliError(
        `TEMPORAL_CLI_PATH is ${opts.explicitPath}, which is not an executable file. Fix or unset it.`,
      );
    }
    return recentEnough(
      opts.explicitPath,
      'TEMPORAL_CLI_PATH',
      'Point TEMPORAL_CLI_PATH at a newer CLI, or unset it',
    );
  }
  const onPath = findOnPath('temporal');
  if (onPath) {
    return recentEnough(
      onPath,
      'The `temporal` on PATH',
      'Upgrade it (https://docs.temporal.io/cli), set TEMPORAL_CLI_PATH to a newer one, or take it off PATH',
    );
  }

  const cached = cachedCliPath();
  if (isExecutable(cached) && (await versionOf(cached)) === TEMPORAL_CLI_VERSION) return cached;
  return build(cached, log);
}

/** Where the built CLI is kept: $XDG_CACHE_HOME or ~/.cache, per version. */
export function cachedCliPath(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'superscript', `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'bin', 'temporal');
}

async function build(target: string, log: (line: string) => void): Promise<string> {
  const go = findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new TemporalCliError(
      `No Temporal CLI found and Go is not installed to build it. Install Go ${GO_VERSION} or newer (https://go.dev/dl/), ` +
        'or install the Temporal CLI yourself and put `temporal` on PATH or set TEMPORAL_CLI_PATH.',
    );
  }
  log(`building Temporal CLI ${TEMPORAL_CLI_VERSION} once, ~3 min, into ${path.dirname(target)}`);
  mkdirSync(path.dirname(path.dirname(target)), { recursive: true });
  // Build into a private folder and rename, so concurrent first runs never see a half-written binary.
  const staging = mkdtempSync(path.join(path.dirname(path.dirname(target)), 'build-'));
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      go,
      [
        'install',
        '-ldflags',
        `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
        `${MODULE}@v${TEMPORAL_CLI_VERSION}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOBIN: staging } },
    );
    child.once('error', () => resolve(null));
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new TemporalCliError(
      `Building the Temporal CLI with \`go install ${MODULE}@v${TEMPORAL_CLI_VERSION}\` failed (exit ${code}). ` +
        'Check that the Go module proxy is reachable, or install the CLI yourself and set TEMPORAL_CLI_PATH.',
    );
  }
  mkdirSync(path.dirname(target), { recursive: true });
  renameSync(path.join(staging, 'temporal'), target);
  rmSync(staging, { recursive: true, force: true });
  log(`built ${await versionLine(target)}`);
  return target;
}

/** The CLI at `cli` if it is recent enough for the dev server; a TemporalCliError saying what to do if not. */
async function recentEnough(cli: string, what: string, fix: string): Promise<string> {
  const version = await versionOf(cli);
  if (version && atLeast(version, MIN_TEMPORAL_CLI_VERSION)) return cli;
  const found = version ? `version ${version}` : 'no version (`temporal --version` failed)';
  throw new TemporalCliError(
    `${what} is ${cli}, which reports ${found}; SuperScript needs Temporal CLI ${MIN_TEMPORAL_CLI_VERSION} or newer ` +
      `for its dev server flags (--search-attribute, --sqlite-pragma, --dynamic-config-value). ${fix}, ` +
      `so that SuperScript builds CLI ${TEMPORAL_CLI_VERSION} (\`superscript setup\`).`,
  );
}

/** Whether a version (e.g. 1.5.1, or 1.5.2-rc) is at least `minimum`, by its numeric parts. */
function atLeast(version: string, minimum: string): boolean {
  const parts = (v: string) => (/^(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1).map(Number);
  const [have, need] = [parts(version), parts(minimum)];
  if (have.length < 3) return false;
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  }
  return true;
}

async function versionLine(cli: string): Promise<string> {
  const { stdout } = await run(cli, ['--version']);
  return stdout.trim();
}

async function versionOf(cli: string): Promise<string | undefined> {
  try {
    return /temporal version (\S+)/.exec(await versionLine(cli))?.[1];
  } catch {
    return undefined;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
