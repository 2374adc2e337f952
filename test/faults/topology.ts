// Where the fault scenarios run: the embedded dev server, or a real cluster (PostgreSQL and the full
// Temporal server). The scenarios are the same code; the topology says how many workers and APIs each one
// starts, which server a crash scenario may kill, and whether there is a database to restart.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LocalCluster } from '../../src/cluster/cluster.js';
import type { Postgres } from '../../src/cluster/postgres.js';
import { ManagedServer, removeUnlessKept, type HttpApiPort, type ServerTarget } from './stack.js';

/** A Temporal server a scenario crashes and restarts on purpose (R3). */
export interface CrashableServer extends ServerTarget {
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** The scenario is done with it. */
  release(): Promise<void>;
}

export interface Topology {
  name: 'dev' | 'cluster';
  server: ServerTarget;
  /** SuperScript workers and API processes a scenario starts (R4 always starts two workers). */
  workers: number;
  apis: number;
  crashableServer(): Promise<CrashableServer>;
  /** The cluster's database, which R6 restarts; the dev server has none apart from its own file. */
  postgres?: Postgres;
  /** The Temporal CLI, with which R8 and R9 act on workflows as an operator would. */
  temporalCli: string;
  /** The dev server's own HTTP API (closed to every request), which R8 tries; a cluster opens none. */
  httpApi?: string;
}

/** The embedded dev server: one worker and one API per scenario; R3 crashes a file-backed server of its own. */
export function devTopology(server: { address: string; cliPath: string } & Partial<HttpApiPort>): Topology {
  return {
    name: 'dev',
    server: { address: server.address, namespace: 'default' },
    temporalCli: server.cliPath,
    ...(server.httpPort ? { httpApi: `http://127.0.0.1:${server.httpPort}` } : {}),
    workers: 1,
    apis: 1,
    crashableServer: async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-faults-r3-db-'));
      const own = await ManagedServer.start({
        durability: 'full',
        dbFile: path.join(dir, 'temporal.sqlite'),
      });
      return {
        address: own.address,
        namespace: 'default',
        kill: () => own.kill(),
        restart: () => own.restart(),
        release: async () => {
          await own.stop();
          removeUnlessKept(dir);
        },
      };
    },
  };
}

/** A real cluster: two workers and two APIs per scenario; R3 crashes the cluster's own server. */
export function clusterTopology(cluster: LocalCluster, temporalCli: string): Topology {
  const server = { address: cluster.address, namespace: cluster.namespace, keyStoreUrl: cluster.keyStoreUrl };
  return {
    name: 'cluster',
    server,
    workers: 2,
    apis: 2,
    crashableServer: async () => ({
      ...server,
      kill: () => cluster.server.kill(),
      restart: () => cluster.server.start(cluster.namespace),
      release: async () => {},
    }),
    postgres: cluster.postgres,
    temporalCli,
  };
}
