// The full Temporal server and its schema tool, built once from the official Go module at the version the
// dev server runs, into the per-user cache next to the CLI.
import path from 'node:path';
import { cacheDir, goInstall, isExecutable } from '../devserver/go-install.js';

/** Temporal Server, the same version the pinned CLI's dev server embeds. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

export interface ServerBinaries {
  /** `temporal-server`: go.temporal.io/server/cmd/server. */
  server: string;
  /** `temporal-sql-tool`: go.temporal.io/server/cmd/tools/sql, which creates and upgrades the schema. */
  sqlTool: string;
}

function cachedServerBinaries(): ServerBinaries {
  const bin = path.join(cacheDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'bin');
  return { server: path.join(bin, 'temporal-server'), sqlTool: path.join(bin, 'temporal-sql-tool') };
}

/** The cached binaries, built first when missing (once: 7 to 15 min for both on 2 busy cores here). */
export async function ensureServerBinaries(log: (line: string) => void): Promise<ServerBinaries> {
  const cached = cachedServerBinaries();
  const builds = [
    {
      target: cached.server,
      module: 'go.temporal.io/server/cmd/server',
      builtName: 'server',
      what: 'Temporal Server',
    },
    {
      target: cached.sqlTool,
      module: 'go.temporal.io/server/cmd/tools/sql',
      builtName: 'sql',
      what: 'temporal-sql-tool',
    },
  ];
  for (const b of builds) {
    if (isExecutable(b.target)) continue;
    await goInstall({
      ...b,
      version: TEMPORAL_SERVER_VERSION,
      goVersion: '1.25',
      announce: `building ${b.what} ${TEMPORAL_SERVER_VERSION} once, several minutes`,
      log,
      otherwise: `build it yourself and put it at ${b.target}`,
    });
  }
  return cached;
}
