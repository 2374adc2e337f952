// Everything one persistence mode needs: the tuned server SuperScript uses with SuperScript's worker and API
// plus baseline (a)'s worker on it, and a stock dev server with baseline (b)'s worker. In `cluster` mode the
// server is a real cluster's (PostgreSQL and the full Temporal server) and there is no (b). All in or under
// this process, registered with the cleanup.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { buildApi } from '../../src/api/server.js';
import type { ScriptRegistry } from '../../src/config/scripts.js';
import { connectClient, connectWorker, temporalTarget } from '../../src/config/temporal-connection.js';
import { LocalCluster } from '../../src/cluster/cluster.js';
import { freeClusterPorts } from '../../src/cluster/ports.js';
import { DevServer } from '../../src/devserver/dev-server.js';
import { freePort } from '../../src/devserver/free-port.js';
import { embeddedKeyStoreUrl } from '../../src/cli/key-store.js';
import { openKeyStore } from '../../src/keystore/open.js';
import { ensureFilled } from '../../src/runs/fill-keys.js';
import { RunService } from '../../src/runs/service.js';
import { createWorker } from '../../src/worker/worker.js';
import { RawClient, startRawWorker } from './baseline/worker.js';
import type { Cleanup } from './cleanup.js';
import type { Persistence } from './config.js';
import { httpRequests, moduleRequests, rawRequests, type PaymentPath } from './paths.js';

export const SS_QUEUE = 'bench-superscript';
const RAW_QUEUE = 'bench-raw';

export interface Stack {
  persistence: Persistence;
  tunedAddress: string;
  namespace: string;
  /** SuperScript's client on the tuned server. */
  client: Client;
  runs: RunService;
  /** Baseline (a)'s client and its worker's data folder, for the batch fan-out (scenario 5). */
  raw: RawClient;
  rawDataDir: string;
  module: PaymentPath;
  http: PaymentPath;
  rawTuned: PaymentPath;
  /** Baseline (b), on a stock dev server; none beside a cluster. */
  rawStock?: PaymentPath;
}

export interface StackParams {
  persistence: Persistence;
  cliPath: string;
  registry: ScriptRegistry;
  /** Scratch folder for this mode: databases and the workers' data folders. */
  dir: string;
  cleanup: Cleanup;
  /** Baseline (b) on a stock dev server; never beside a cluster. */
  stockBaseline: boolean;
}

export async function startStack(p: StackParams): Promise<Stack> {
  const { cleanup, registry } = p;
  const scriptPath = registry.get('collect-payment').path;

  const tuned = p.persistence === 'cluster' ? await startCluster(p) : await startDevServer(p, 'tuned');
  // Baseline (b): `temporal server start-dev` exactly as a user starts it by hand. Started after the tuned
  // server, so its free port is chosen while the first holds its own.
  const stock = p.stockBaseline && p.persistence !== 'cluster' ? await startDevServer(p, 'stock') : undefined;

  // SuperScript: the worker and API as `superscript dev` composes them (see test/support/harness.ts).
  const ssDir = dataDir(p.dir, 'superscript');
  const target = temporalTarget(tuned.address, tuned.namespace);
  const client = await connectClient(target);
  cleanup.add('SuperScript client', () => client.connection.close());
  const connection = await connectWorker(target);
  cleanup.add('SuperScript worker connection', () => connection.close());
  // The key store as the installation keeps it: PostgreSQL on a cluster, the data folder's file otherwise.
  const keys = await openKeyStore(
    tuned.keyStoreUrl ?? embeddedKeyStoreUrl(ssDir),
    `${target.namespace}/${SS_QUEUE}`,
  );
  cleanup.add('SuperScript key store', () => keys.close());
  await ensureFilled({ client, taskQueue: SS_QUEUE, keys });
  const worker = await createWorker({
    connection,
    client,
    namespace: target.namespace,
    taskQueue: SS_QUEUE,
    registry,
    dataDir: ssDir,
    keyStore: keys,
    requireReservation: false,
    shutdownGraceMs: 0,
  });
  const running = worker.run();
  cleanup.add('SuperScript worker', async () => {
    worker.shutdown();
    await running;
  });
  // As `superscript dev` builds it: starts go through the worker's connection, with eager workflow start.
  const runs = new RunService({
    client,
    taskQueue: SS_QUEUE,
    keys,
    registry,
    eagerStarter: new Client({ connection, namespace: target.namespace }),
  });
  const app = buildApi({
    runs,
    dataDir: ssDir,
    waitMs: 120_000,
    logLevel: 'silent',
  });
  // A deep accept queue: the dedup storm opens hundreds of connections at once, and a dropped SYN would
  // add a 1 s retransmit to the figure.
  const url = await app.listen({ host: '127.0.0.1', port: 0, backlog: 2048 });
  cleanup.add('API', () => app.close());

  const rawTunedDir = dataDir(p.dir, 'raw-tuned');
  await startRawWorker(tuned.address, tuned.namespace, RAW_QUEUE, scriptPath, rawTunedDir, cleanup);
  const rawTuned = await RawClient.connect(tuned.address, tuned.namespace, RAW_QUEUE, cleanup);
  let rawStock: PaymentPath | undefined;
  if (stock) {
    const rawStockDir = dataDir(p.dir, 'raw-stock');
    await startRawWorker(stock.address, 'default', RAW_QUEUE, scriptPath, rawStockDir, cleanup);
    const client = await RawClient.connect(stock.address, 'default', RAW_QUEUE, cleanup);
    rawStock = rawRequests(client, 'rawb', 'raw SDK, stock server', rawStockDir);
  }

  return {
    persistence: p.persistence,
    tunedAddress: tuned.address,
    namespace: tuned.namespace,
    client,
    runs,
    raw: rawTuned,
    rawDataDir: rawTunedDir,
    module: moduleRequests(runs, ssDir),
    http: httpRequests(url, ssDir),
    rawTuned: rawRequests(rawTuned, 'rawa', 'raw SDK, tuned server', rawTunedDir),
    rawStock,
  };
}

interface Server {
  address: string;
  namespace: string;
  /** The cluster's shared key store, on its PostgreSQL. */
  keyStoreUrl?: string;
}

/** The tuned dev server SuperScript uses, or (`stock`) the one baseline (b) uses, as a user starts it by hand. */
async function startDevServer(p: StackParams, kind: 'tuned' | 'stock'): Promise<Server> {
  const file = p.persistence === 'file';
  const server = await DevServer.start({
    cliPath: p.cliPath,
    port: await freePort(),
    stock: kind === 'stock',
    durability: file ? 'full' : 'memory',
    ...(file ? { dbFile: path.join(p.dir, `${kind}.db`) } : {}),
  });
  p.cleanup.add(
    `${kind} server (${p.persistence})`,
    () => server.stop(),
    () => void server.kill(),
  );
  return { address: server.address, namespace: 'default' };
}

/** A fresh cluster in the mode's scratch folder (on the project's disk, like the embedded default's file). */
async function startCluster(p: StackParams): Promise<Server> {
  const cluster = await LocalCluster.start({
    dir: path.join(p.dir, 'cluster'),
    ports: await freeClusterPorts(),
    namespace: 'superscript',
    retentionDays: 30,
    log: (line) => console.error(`bench: ${line}`),
  });
  p.cleanup.add(
    'cluster',
    () => cluster.stop(),
    () => cluster.killNow(),
  );
  return { address: cluster.address, namespace: cluster.namespace, keyStoreUrl: cluster.keyStoreUrl };
}

function dataDir(parent: string, name: string): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
