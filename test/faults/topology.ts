// Where the fault scenarios run: the embedded dev server, or a real cluster (PostgreSQL and the full
// Temporal server), each started as a stack's Temporal target (src/stack/temporal.ts). The scenarios are the
// same code; the topology says how many workers and APIs each one starts, which server a crash scenario may
// kill, and whether there is a database to restart.
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Postgres } from '../../src/cluster/postgres.js';
import { freeClusterPorts } from '../../src/cluster/ports.js';
import { freePort } from '../../src/devserver/free-port.js';
import { once } from '../../src/stack/steps.js';
import { ClusterTemporal, EmbeddedTemporal } from '../../src/stack/temporal.js';
import { cleanup, removeUnlessKept, type ServerTarget } from './stack.js';

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

/** A topology and how to stop what it started (once, however often it is called). */
export interface RunningTopology {
  topology: Topology;
  stop(): Promise<void>;
}

/** A dev server of the suite's own, in memory, with its HTTP API on a port R8 tries. */
export async function startDevTopology(cliPath: string): Promise<RunningTopology> {
  const httpPort = await freePort();
  const server = await EmbeddedTemporal.start({
    cliPath,
    durability: 'memory',
    extraArgs: ['--http-port', String(httpPort)],
  });
  const forget = cleanup.add('Temporal dev server', () => server.stop(), server.started.killNow);
  return {
    topology: devTopology({ address: server.address, cliPath, httpPort }),
    stop: once(async () => {
      await server.stop();
      forget();
    }),
  };
}

/**
 * The embedded dev server at `address`: one worker and one API per scenario; R3 crashes a file-backed server
 * of its own.
 */
export function devTopology(server: { address: string; cliPath: string; httpPort?: number }): Topology {
  return {
    name: 'dev',
    server: { address: server.address, namespace: 'default' },
    temporalCli: server.cliPath,
    ...(server.httpPort ? { httpApi: `http://127.0.0.1:${server.httpPort}` } : {}),
    workers: 1,
    apis: 1,
    crashableServer: async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-faults-r3-db-'));
      const own = await EmbeddedTemporal.start({
        cliPath: server.cliPath,
        durability: 'full',
        dbFile: path.join(dir, 'temporal.sqlite'),
      });
      const forget = cleanup.add('R3 dev server', () => own.stop(), own.started.killNow);
      return {
        address: own.address,
        namespace: 'default',
        kill: () => own.crash(),
        restart: () => own.restart(),
        release: async () => {
          await own.stop();
          forget();
          removeUnlessKept(dir);
        },
      };
    },
  };
}

/**
 * A fresh cluster in a folder of its own (under the temp folder, which the postgres user can reach): two
 * workers and two APIs per scenario; R3 crashes the cluster's own server.
 */
export async function startClusterTopology(
  cliPath: string,
  log: (line: string) => void,
): Promise<RunningTopology & { temporal: ClusterTemporal; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-faults-cluster-'));
  // mkdtemp makes it private; PostgreSQL's user must enter it to reach its own folder inside.
  chmodSync(dir, 0o755);
  const temporal = await ClusterTemporal.start({
    dir,
    ports: await freeClusterPorts(),
    namespace: 'superscript',
    retentionDays: 30,
    log,
  }).catch((err: unknown) => {
    removeUnlessKept(dir);
    throw err;
  });
  const forget = cleanup.add('cluster', () => temporal.stop(), temporal.started.killNow);
  const { cluster } = temporal;
  const server = { address: cluster.address, namespace: cluster.namespace, keyStoreUrl: cluster.keyStoreUrl };
  return {
    temporal,
    dir,
    topology: {
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
      temporalCli: cliPath,
    },
    stop: once(async () => {
      await temporal.stop();
      forget();
      removeUnlessKept(dir);
    }),
  };
}
