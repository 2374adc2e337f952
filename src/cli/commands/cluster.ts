// `superscript cluster up|down`: a real deployment on this machine, for trying it and for the tests.
// PostgreSQL, the full Temporal server, workers and APIs, each its own process and all children of `up`,
// which stops them in order (APIs, workers, server, database) on Ctrl-C or `cluster down`.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TEMPORAL_SERVER_VERSION } from '../../cluster/binaries.js';
import { KEY_STORE_DATABASE } from '../../cluster/key-store-db.js';
import { DEFAULT_CLUSTER_PORTS, freeClusterPorts } from '../../cluster/ports.js';
import { DATABASES } from '../../cluster/server-config.js';
import { ConfigError } from '../../errors.js';
import { ProcessStack } from '../../stack/processes.js';
import { ClusterTemporal } from '../../stack/temporal.js';
import type { Context } from '../context.js';
import { stopOnSignals } from '../shutdown.js';
import type { ClusterUpOptions } from './cluster-options.js';

/** What `up` leaves in its data folder while it runs, for `down` (and people) to find it. */
interface RunningCluster {
  pid: number;
  /** When that process started (/proc), so a later process that reuses the pid is not taken for it. */
  started?: string;
  apis: string[];
  temporal: string;
  namespace: string;
}

const stateFile = (dir: string) => path.join(dir, 'cluster.json');

export async function clusterUp(ctx: Context, o: ClusterUpOptions): Promise<void> {
  const { settings, log } = ctx;
  const dir = path.resolve(o.dataDir);
  const logs = path.join(dir, 'logs');
  const data = path.join(dir, 'data');
  mkdirSync(logs, { recursive: true });
  mkdirSync(data, { recursive: true });
  // Claim the folder before anything starts in it, so a second `up` on it (even one starting at the same
  // moment) stops here instead of setting up PostgreSQL under this one's feet.
  const self: RunningCluster = {
    pid: process.pid,
    started: startTime(process.pid),
    apis: [],
    temporal: '',
    namespace: o.namespace,
  };
  const running = readState(dir);
  if (running && !isRunning(running)) rmSync(stateFile(dir), { force: true });
  try {
    writeState(dir, self, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const other = readState(dir);
    throw new ConfigError(
      `A cluster already runs from ${dir} (pid ${other?.pid ?? 'unknown'}); stop it with \`superscript cluster down\`.`,
    );
  }

  // Stopped in order (APIs, workers, server, database), also when start-up fails midway.
  let temporal: ClusterTemporal;
  let stack: ProcessStack | undefined;
  try {
    temporal = await ClusterTemporal.start({
      dir,
      ports: o.freePorts
        ? await freeClusterPorts()
        : { ...DEFAULT_CLUSTER_PORTS, frontend: o.temporalPort, postgres: o.postgresPort },
      namespace: o.namespace,
      retentionDays: o.retentionDays,
      log: (line) => log.info(line),
    });
    stack = await ProcessStack.open({
      temporal,
      taskQueue: settings.taskQueue,
      env: {
        SUPERSCRIPT_DATA_DIR: data,
        SUPERSCRIPT_CONFIG: settings.registryFile,
        // As recommended for clusters: access to Temporal alone runs nothing; only keys the front door
        // (an API, exec) reserved run.
        SUPERSCRIPT_REQUIRE_RESERVATION: 'true',
      },
      stopGraceMs: settings.shutdownGraceMs,
      logDir: logs,
    });
    for (let i = 0; i < o.workers; i++) await stack.startWorker();
    for (let i = 0; i < o.apis; i++) await stack.startApi(o.apiPort + i);
  } catch (err) {
    await stack?.stop().catch(() => {});
    rmSync(stateFile(dir), { force: true });
    throw err;
  }
  const { cluster } = temporal;
  const apiUrls = stack.apis.map((api) => api.url);
  const workers = stack.workers;

  writeState(dir, { ...self, apis: apiUrls, temporal: cluster.address, namespace: cluster.namespace });
  const rel = (file: string) => path.relative(dir, file) || '.';
  process.stdout.write(
    [
      'SuperScript cluster is running',
      `  APIs      ${apiUrls.join('  ')}`,
      `  Workers   ${workers.length} (pids ${workers.map((w) => w.pid).join(' ')}), task queue ${settings.taskQueue}`,
      `  Temporal  ${cluster.address} (Temporal Server ${TEMPORAL_SERVER_VERSION}, namespace ${cluster.namespace}, run histories kept ${o.retentionDays} days)`,
      `  Postgres  ${cluster.postgres.host}:${cluster.postgres.port} (persistence and visibility: databases ${DATABASES.persistence}, ${DATABASES.visibility}; key store: ${KEY_STORE_DATABASE})`,
      `  Keys      only keys reserved through SuperScript run (SUPERSCRIPT_REQUIRE_RESERVATION); kept until pruned`,
      `  Data      ${dir} (ledger ${rel(path.join(data, 'ledger.log'))}, logs ${rel(logs)}/, server config ${rel(cluster.server.configFile)})`,
      `  Scripts   ${ctx.registry.names().join(', ')} from ${settings.registryFile}`,
      `  Clients   TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=${cluster.namespace} superscript status <id>`,
      'Stop with Ctrl-C or `superscript cluster down`.',
      '',
    ].join('\n'),
  );
  log.info({ apis: apiUrls, temporal: cluster.address }, 'cluster ready');
  for (const [i, worker] of workers.entries()) {
    void worker.exited.then((exit) => {
      if (exit.code !== 0) log.warn({ exit, log: path.join(logs, `worker-${i + 1}.log`) }, 'a worker exited');
    });
  }
  await stopOnSignals(log, stack.steps());
  rmSync(stateFile(dir), { force: true });
}

/** Stops the cluster `up` runs from `dataDir`; resolves once it has stopped everything. */
export async function clusterDown(dataDir: string): Promise<number> {
  const dir = path.resolve(dataDir);
  const running = readState(dir);
  if (!running || !isRunning(running)) {
    process.stdout.write(`No cluster runs from ${dir}.\n`);
    return 0;
  }
  process.kill(running.pid, 'SIGTERM');
  process.stdout.write(
    `Stopping the cluster (pid ${running.pid}): APIs, workers, Temporal server, PostgreSQL...\n`,
  );
  const deadline = Date.now() + 120_000;
  while (isRunning(running)) {
    if (Date.now() > deadline) {
      process.stderr.write(`superscript: pid ${running.pid} is still running after 120 s.\n`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  process.stdout.write('Stopped.\n');
  return 0;
}

function readState(dir: string): RunningCluster | undefined {
  if (!existsSync(stateFile(dir))) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as RunningCluster;
  } catch {
    return undefined;
  }
}

function writeState(dir: string, state: RunningCluster, flag = 'w'): void {
  writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { flag });
}

/** Whether the `up` the state file names still runs: its pid is alive and started when it says. */
function isRunning(state: RunningCluster): boolean {
  try {
    process.kill(state.pid, 0);
  } catch {
    return false;
  }
  return state.started === undefined || startTime(state.pid) === state.started;
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat, field 22); undefined off Linux. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: field 3 first.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
