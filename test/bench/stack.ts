// Everything one persistence mode needs: the tuned server SuperScript uses with SuperScript's worker and API
// (a stack, src/stack) plus baseline (a)'s worker on it, and a stock dev server with baseline (b)'s worker. In
// `cluster` mode the server is a real cluster's (PostgreSQL and the full Temporal server) and there is no (b).
// All in or under this process, registered with the cleanup.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { apiAccess } from '../../src/api/access.js';
import { freeClusterPorts } from '../../src/cluster/ports.js';
import type { ScriptRegistry } from '../../src/config/scripts.js';
import { loadSettings } from '../../src/config/settings.js';
import { DevServer } from '../../src/devserver/dev-server.js';
import { freePort } from '../../src/devserver/free-port.js';
import type { RunService } from '../../src/runs/service.js';
import { startStack as startInProcess } from '../../src/stack/stack.js';
import { ClusterTemporal, EmbeddedTemporal } from '../../src/stack/temporal.js';
import type { Cleanup } from '../support/cleanup.js';
import { RawClient, startRawWorker } from './baseline/worker.js';
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

  // SuperScript: the worker and API as `superscript dev` assembles them (src/stack), eager start included,
  // on the tuned server, or on a fresh cluster in the mode's scratch folder (on the project's disk, like the
  // embedded default's file). The key store as the installation keeps it: PostgreSQL on a cluster, the data
  // folder's file otherwise.
  const ssDir = dataDir(p.dir, 'superscript');
  const tuned =
    p.persistence === 'cluster'
      ? await ClusterTemporal.start({
          dir: path.join(p.dir, 'cluster'),
          ports: await freeClusterPorts(),
          namespace: 'superscript',
          retentionDays: 30,
          log: (line) => console.error(`bench: ${line}`),
        })
      : await EmbeddedTemporal.start({
          cliPath: p.cliPath,
          durability: p.persistence === 'file' ? 'full' : 'memory',
          ...(p.persistence === 'file' ? { dbFile: path.join(p.dir, 'tuned.db') } : {}),
        });
  const settings = {
    ...loadSettings({
      SUPERSCRIPT_DATA_DIR: ssDir,
      SUPERSCRIPT_TASK_QUEUE: SS_QUEUE,
      SUPERSCRIPT_WAIT_SECONDS: '120',
      SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: '0',
      SUPERSCRIPT_MIN_RETENTION_DAYS: '0',
      SUPERSCRIPT_LOG_LEVEL: 'silent',
    }),
    apiPort: 0,
  };
  const ss = await startInProcess(
    { settings, registry, log: pino({ level: 'error' }, pino.destination(2)) },
    {
      temporal: tuned,
      eager: true,
      // A deep accept queue: the dedup storm opens hundreds of connections at once, and a dropped SYN would
      // add a 1 s retransmit to the figure.
      api: { ...apiAccess(settings.apiHost, undefined), backlog: 2048 },
    },
  );
  cleanup.add(`SuperScript on the tuned server (${p.persistence})`, () => ss.stop(), ss.killNow);
  const { address, namespace } = tuned.target;

  // Baseline (b): `temporal server start-dev` exactly as a user starts it by hand. Started after the tuned
  // server, so its free port is chosen while the first holds its own.
  const stock = p.stockBaseline && p.persistence !== 'cluster' ? await startStockServer(p) : undefined;

  const rawTunedDir = dataDir(p.dir, 'raw-tuned');
  await startRawWorker(address, namespace, RAW_QUEUE, scriptPath, rawTunedDir, cleanup);
  const rawTuned = await RawClient.connect(address, namespace, RAW_QUEUE, cleanup);
  let rawStock: PaymentPath | undefined;
  if (stock) {
    const rawStockDir = dataDir(p.dir, 'raw-stock');
    await startRawWorker(stock.address, 'default', RAW_QUEUE, scriptPath, rawStockDir, cleanup);
    const client = await RawClient.connect(stock.address, 'default', RAW_QUEUE, cleanup);
    rawStock = rawRequests(client, 'rawb', 'raw SDK, stock server', rawStockDir);
  }

  return {
    persistence: p.persistence,
    tunedAddress: address,
    namespace,
    client: ss.client,
    runs: ss.runs,
    raw: rawTuned,
    rawDataDir: rawTunedDir,
    module: moduleRequests(ss.runs, ssDir),
    http: httpRequests(ss.api!.url, ssDir),
    rawTuned: rawRequests(rawTuned, 'rawa', 'raw SDK, tuned server', rawTunedDir),
    rawStock,
  };
}

/** The dev server baseline (b) uses: the CLI's own defaults, as a user starts it by hand, not SuperScript's. */
async function startStockServer(p: StackParams): Promise<DevServer> {
  const file = p.persistence === 'file';
  const server = await DevServer.start({
    cliPath: p.cliPath,
    port: await freePort(),
    stock: true,
    durability: file ? 'full' : 'memory',
    ...(file ? { dbFile: path.join(p.dir, 'stock.db') } : {}),
  });
  p.cleanup.add(
    `stock server (${p.persistence})`,
    () => server.stop(),
    () => void server.kill(),
  );
  return server;
}

function dataDir(parent: string, name: string): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
