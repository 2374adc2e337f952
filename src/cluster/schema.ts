// Temporal's two PostgreSQL databases, created and brought to the server's schema version with its own
// temporal-sql-tool (the versioned schema files are embedded in it, as in the Go module's schema/ folder).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ClusterError } from '../errors.js';
import { DATABASES } from './server-config.js';

const run = promisify(execFile);

export interface SchemaTarget {
  sqlTool: string;
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The embedded schema each database gets. */
const SCHEMAS: Record<keyof typeof DATABASES, string> = {
  persistence: 'postgresql/v12/temporal',
  visibility: 'postgresql/v12/visibility',
};

/** On a new instance: creates both databases and their schema at version 0.0, then upgrades them. */
export async function createSchema(t: SchemaTarget): Promise<void> {
  for (const db of Object.values(DATABASES)) {
    await sqlTool(t, db, ['create-database']);
    await sqlTool(t, db, ['setup-schema', '-v', '0.0']);
  }
  await upgradeSchema(t);
}

/** Applies the versioned schema changes the databases do not have yet; a no-op when they are current. */
export async function upgradeSchema(t: SchemaTarget): Promise<void> {
  for (const [which, db] of Object.entries(DATABASES) as [keyof typeof DATABASES, string][]) {
    await sqlTool(t, db, ['update-schema', '--schema-name', SCHEMAS[which]]);
  }
}

async function sqlTool(t: SchemaTarget, database: string, command: string[]): Promise<void> {
  const args = [
    '--plugin',
    'postgres12',
    '--ep',
    t.host,
    '-p',
    String(t.port),
    '-u',
    t.user,
    '--db',
    database,
  ];
  try {
    // The password goes by environment, not argv, where any user's `ps` would show it.
    await run(t.sqlTool, [...args, ...command], { env: { ...process.env, SQL_PASSWORD: t.password } });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ClusterError(
      `temporal-sql-tool ${command[0]} on database ${database} failed: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
}
