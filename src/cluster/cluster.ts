// A real Temporal cluster on this machine: PostgreSQL (persistence, visibility and SuperScript's key store)
// and the full Temporal server, both children of this process, under one data folder, with SuperScript's
// namespace ready.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureServerBinaries, TEMPORAL_SERVER_VERSION } from './binaries.js';
import { ensureKeyStoreDatabase, keyStoreUrl } from './key-store-db.js';
import { ensureNamespace } from './namespace.js';
import { Postgres } from './postgres.js';
import { createSchema, upgradeSchema } from './schema.js';
import type { ClusterPorts } from './ports.js';
import { writeServerConfig } from './server-config.js';
import { TemporalServer } from './temporal-server.js';

export interface ClusterOptions {
  /** Everything lives here: postgres/, temporal/. */
  dir: string;
  ports: ClusterPorts;
  namespace: string;
  /** The namespace's retention: how long a closed run's history is kept (keys are the key store's). */
  retentionDays: number;
  log: (line: string) => void;
}

/**
 * Written once the schema is in place, before the server first starts; without it the PostgreSQL folder is
 * set up from scratch. An instance without it never had a server on it, so it holds no keys to lose.
 */
const SCHEMA_READY = 'schema-ready';

export class LocalCluster {
  private constructor(
    readonly opts: ClusterOptions,
    readonly postgres: Postgres,
    readonly server: TemporalServer,
  ) {}

  static async start(opts: ClusterOptions): Promise<LocalCluster> {
    const binaries = await ensureServerBinaries(opts.log);
    mkdirSync(opts.dir, { recursive: true });
    const postgres = Postgres.locate({
      dir: path.join(opts.dir, 'postgres'),
      port: opts.ports.postgres,
      log: opts.log,
    });
    const server = new TemporalServer({
      binary: binaries.server,
      dir: path.join(opts.dir, 'temporal'),
      frontendPort: opts.ports.frontend,
    });
    const cluster = new LocalCluster(opts, postgres, server);
    try {
      const ready = path.join(opts.dir, SCHEMA_READY);
      const schema = {
        sqlTool: binaries.sqlTool,
        host: postgres.host,
        port: postgres.port,
        user: postgres.user,
      };
      if (existsSync(ready) && postgres.initialized) {
        await postgres.start();
        await upgradeSchema({ ...schema, password: postgres.password });
      } else {
        opts.log(`setting up PostgreSQL in ${postgres.dataDir}`);
        await postgres.initialize();
        await postgres.start();
        await createSchema({ ...schema, password: postgres.password });
        writeFileSync(ready, `${TEMPORAL_SERVER_VERSION}\n`);
      }
      writeServerConfig({
        dir: path.join(opts.dir, 'temporal'),
        ports: opts.ports,
        postgres: {
          host: postgres.host,
          port: postgres.port,
          user: postgres.user,
          password: postgres.password,
        },
      });
      await ensureKeyStoreDatabase(postgres);
      await server.start();
      await ensureNamespace(server.address, opts.namespace, opts.retentionDays);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get address(): string {
    return this.server.address;
  }

  get namespace(): string {
    return this.opts.namespace;
  }

  /** The key store every worker, API and `exec` of the cluster shares, on its PostgreSQL. */
  get keyStoreUrl(): string {
    return keyStoreUrl(this.postgres);
  }

  /** The server first (it drains its shards into the database), then PostgreSQL. */
  async stop(): Promise<void> {
    await this.server.stop();
    await this.postgres.stop();
  }

  /** Kills both at once, for a process exiting without the time to stop them. */
  killNow(): void {
    void this.server.kill();
    void this.postgres.kill();
  }
}
