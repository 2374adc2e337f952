// Finds the Temporal CLI, or builds the pinned official one once from its Go module into a per-user cache.
// Order: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the cache, then a build.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { MissingToolError } from '../errors.js';
import { cacheDir, findOnPath, goInstall, isExecutable } from './go-install.js';

export const TEMPORAL_CLI_VERSION = '1.5.1';
/**
 * The oldest CLI whose `server start-dev` takes every flag dev-server.ts passes: --db-filename,
 * --sqlite-pragma, --dynamic-config-value and --headless are older; --search-attribute came in 0.13.1.
 */
export const MIN_TEMPORAL_CLI_VERSION = '0.13.1';
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
      throw new MissingToolError(
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
  const built = await goInstall({
    module: MODULE,
    version: TEMPORAL_CLI_VERSION,
    goVersion: '1.25',
    target: cached,
    builtName: 'temporal',
    ldflags: `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
    announce: `building Temporal CLI ${TEMPORAL_CLI_VERSION} once, ~3 min`,
    log,
    otherwise: 'install the Temporal CLI yourself and put `temporal` on PATH or set TEMPORAL_CLI_PATH',
  });
  log(`built ${await versionLine(built)}`);
  return built;
}

/** Where the built CLI is kept: $XDG_CACHE_HOME or ~/.cache, per version. */
export function cachedCliPath(): string {
  return path.join(cacheDir(), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'bin', 'temporal');
}

/** The CLI at `cli` if it is recent enough for the dev server; a MissingToolError saying what to do if not. */
async function recentEnough(cli: string, what: string, fix: string): Promise<string> {
  const version = await versionOf(cli);
  if (version && atLeast(version, MIN_TEMPORAL_CLI_VERSION)) return cli;
  const found = version ? `version ${version}` : 'no version (`temporal --version` failed)';
  throw new MissingToolError(
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
