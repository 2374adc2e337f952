// Composes what a scenario breaks: a Temporal dev server, workers and the HTTP API, each a child process
// of this one (a daemon re-parented to PID 1 spawns scripts far slower here, and children die with us).
// Everything started is tracked, so a failed or interrupted run still stops all of it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Durability } from '../../src/config/settings.js';
import { connectClient, temporalTarget } from '../../src/config/temporal-connection.js';
import { DevServer } from '../../src/devserver/dev-server.js';
import { freePort } from '../../src/devserver/free-port.js';
import { ensureTemporalCli } from '../../src/devserver/temporal-cli.js';
import {
  spawnService,
  untilApiAnswers,
  untilWorkerPolls,
  type ServiceKind,
} from '../../src/cluster/services.js';
import type { Daemon } from '../../src/process/daemon.js';
import { openKeyStore } from '../../src/keystore/open.js';
import type { KeyStore } from '../../src/keystore/store.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The test registry: collect-payment with a 2 s heartbeat timeout, sleeper, exit-with, ... */
export const FIXTURE_REGISTRY = path.join(ROOT, 'test', 'fixtures', 'registry.json');
/** The registry SuperScript ships: collect-payment with the default 10 s heartbeat timeout. */
export const SHIPPED_REGISTRY = path.join(ROOT, 'superscript.config.json');

/** Run the built CLI (bin/superscript.js) or the TypeScript source through tsx. */
export type CliSource = 'dist' | 'src';

// ---------------------------------------------------------------------------------------------------------
// Cleanup: whatever is still running when this process exits is killed, even on an uncaught error.

const liveKillers = new Set<() => void>();
let exitHookInstalled = false;

/** Runs `kill` if this process exits while it is still registered; returns how to unregister it. */
export function track(kill: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const k of liveKillers) k();
    });
  }
  liveKillers.add(kill);
  return () => liveKillers.delete(kill);
}

/** Kills everything still running (for signal handlers; `stop()` is the orderly way). */
export function killEverything(): void {
  for (const k of liveKillers) k();
  liveKillers.clear();
}

// ---------------------------------------------------------------------------------------------------------
// The built CLI must match the source under test.

/** Rebuilds dist/ when any source file is newer than its build output. Returns whether it rebuilt. */
export function ensureBuilt(log: (line: string) => void): boolean {
  const stale = staleSources(path.join(ROOT, 'src'));
  if (stale.length === 0) return false;
  log(`dist/ is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(', ')}): npm run build`);
  const res = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) {
    throw new Error('npm run build failed; fix the build or run the faults from source (FAULTS_CLI=src).');
  }
  return true;
}

function staleSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...staleSources(file));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const built = path
        .join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), file))
        .replace(/\.ts$/, '.js');
      let builtAt = 0;
      try {
        builtAt = statSync(built).mtimeMs;
      } catch {
        // Never built.
      }
      if (statSync(file).mtimeMs > builtAt) out.push(path.relative(ROOT, file));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The Temporal server.

/** The Temporal server a stack runs on, and the namespace to use. */
export interface ServerTarget {
  address: string;
  namespace: string;
  /** A key store shared by everything on this server (a cluster's PostgreSQL); else each stack has a file. */
  keyStoreUrl?: string;
}

export interface ServerOptions {
  durability: Durability;
  /** Required unless durability is `memory`. */
  dbFile?: string;
  /** Fixed, so a restarted server is found where clients and workers left it. Default: a free port. */
  port?: number;
}

/** Where a dev server's own HTTP API listens (which SuperScript closes to every request), for R8 to try. */
export interface HttpApiPort {
  httpPort: number;
}

/** A dev server that can be crashed and restarted on the same port and SQLite file. */
export class ManagedServer {
  private untrack: () => void = () => {};

  private constructor(
    private server: DevServer,
    readonly port: number,
    private readonly opts: ServerOptions & { cliPath: string },
  ) {
    this.watch();
  }

  static async start(opts: ServerOptions): Promise<ManagedServer & HttpApiPort> {
    const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
    const port = opts.port ?? (await freePort());
    const httpPort = await freePort();
    const server = await DevServer.start({
      cliPath,
      port,
      dbFile: opts.dbFile,
      durability: opts.durability,
      extraArgs: ['--http-port', String(httpPort)],
    });
    return Object.assign(new ManagedServer(server, port, { ...opts, cliPath }), { httpPort, cliPath });
  }

  /** The Temporal CLI the server runs on; R8 starts workflows with it as an operator would. */
  get cliPath(): string {
    return this.opts.cliPath;
  }

  get address(): string {
    return this.server.address;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  /** SIGKILL, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    await this.server.kill();
    this.untrack();
  }

  /** Starts the server again on the same port and file; resolves once it answers. */
  async restart(): Promise<void> {
    this.server = await DevServer.start({
      cliPath: this.opts.cliPath,
      port: this.port,
      dbFile: this.opts.dbFile,
      durability: this.opts.durability,
    });
    this.watch();
  }

  async stop(): Promise<void> {
    await this.server.stop();
    this.untrack();
  }

  private watch(): void {
    const server = this.server;
    this.untrack = track(() => void server.kill());
  }
}

// ---------------------------------------------------------------------------------------------------------
// SuperScript processes: `superscript worker` and `superscript api`.

/** A worker or API process; `kill()` is a SIGKILL, `stop()` an orderly stop. */
export type Service = Daemon;

export interface ApiService extends Service {
  url: string;
}

export interface StackOptions {
  /** A Temporal server someone else owns (a topology's, or the test runner's), and the namespace to use. */
  server: ServerTarget;
  /** Names this stack's task queue and data folder. */
  name: string;
  registryFile: string;
  cli: CliSource;
  /** Extra environment for the workers and the API, e.g. PAYMENT_DELAY_SECONDS. */
  env?: Record<string, string>;
}

let stackCounter = 0;

/** One scenario's world: its own task queue, data folder (and so ledger), workers and APIs. */
export class Stack {
  readonly taskQueue: string;
  readonly dataDir: string;
  private readonly services = new Set<Service>();
  private keys: Promise<KeyStore> | undefined;

  private constructor(
    readonly opts: StackOptions,
    readonly client: Client,
  ) {
    this.taskQueue = `faults-${opts.name}-${process.pid}-${++stackCounter}-${Date.now().toString(36)}`;
    this.dataDir = mkdtempSync(path.join(os.tmpdir(), `superscript-faults-${opts.name}-`));
  }

  static async open(opts: StackOptions): Promise<Stack> {
    return new Stack(opts, await connectClient(temporalTarget(opts.server.address, opts.server.namespace)));
  }

  get address(): string {
    return this.opts.server.address;
  }

  /** The key store every worker and API of this stack shares: the cluster's database, or a file here. */
  get keyStoreUrl(): string {
    return this.opts.server.keyStoreUrl ?? `sqlite:${path.join(this.dataDir, 'keys.sqlite')}`;
  }

  /** Starts `superscript worker` and resolves once it polls both its workflow and activity queues. */
  async startWorker(extraEnv: Record<string, string> = {}): Promise<Service> {
    const service = this.spawn('worker', extraEnv);
    await untilWorkerPolls(service, this.client, this.taskQueue);
    return service;
  }

  /** Starts `count` workers at once. */
  startWorkers(count: number): Promise<Service[]> {
    return Promise.all(Array.from({ length: count }, () => this.startWorker()));
  }

  /** Starts `superscript api` on a free port and resolves once /healthz answers 200. */
  async startApi(extraEnv: Record<string, string> = {}): Promise<ApiService> {
    const port = await freePort();
    const service = this.spawn('api', { SUPERSCRIPT_API_PORT: String(port), ...extraEnv });
    const url = `http://127.0.0.1:${port}`;
    await untilApiAnswers(service, url);
    return Object.assign(service, { url });
  }

  /** Starts `count` API processes, one after the other (each on its own free port). */
  async startApis(count: number): Promise<ApiService[]> {
    const apis: ApiService[] = [];
    for (let i = 0; i < count; i++) apis.push(await this.startApi());
    return apis;
  }

  /** Lines of this stack's payment ledger. */
  ledger(): string[] {
    return this.lines('ledger.log');
  }

  /** Charges per order ID, from the ledger (`<time> <orderId> <amount>` per line). */
  chargesByOrder(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const line of this.ledger()) {
      const orderId = line.split(' ')[1] ?? '';
      counts.set(orderId, (counts.get(orderId) ?? 0) + 1);
    }
    return counts;
  }

  /** Lines of a file in the data folder (the sleeper's executions-<tag>.log, pids-<tag>.txt). */
  lines(file: string): string[] {
    try {
      return readFileSync(path.join(this.dataDir, file), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Workflows started on this stack's task queue, through visibility. */
  async countWorkflows(extraClause?: string): Promise<number> {
    const query = [`TaskQueue = '${this.taskQueue}'`, extraClause].filter(Boolean).join(' AND ');
    return (await this.client.workflow.count(query)).count;
  }

  /** The key store this stack's workers and APIs share, opened here to check it against the side effects. */
  async keyStore(): Promise<KeyStore> {
    this.keys ??= openKeyStore(this.keyStoreUrl, `${this.opts.server.namespace}/${this.taskQueue}`);
    return this.keys;
  }

  /** Stops every service still running (gracefully, then by force), closes the client, removes the data. */
  async stop(): Promise<void> {
    await Promise.all([...this.services].map((s) => s.stop(8000)));
    await this.client.connection.close();
    await (await this.keys?.catch(() => undefined))?.close();
    removeUnlessKept(this.dataDir);
  }

  private spawn(kind: ServiceKind, extraEnv: Record<string, string>): Service {
    const service = spawnService({
      kind,
      entry:
        this.opts.cli === 'dist' ? undefined : ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts')],
      env: {
        TEMPORAL_ADDRESS: this.address,
        TEMPORAL_NAMESPACE: this.opts.server.namespace,
        SUPERSCRIPT_TASK_QUEUE: this.taskQueue,
        SUPERSCRIPT_CONFIG: this.opts.registryFile,
        SUPERSCRIPT_DATA_DIR: this.dataDir,
        SUPERSCRIPT_KEY_STORE_URL: this.keyStoreUrl,
        SUPERSCRIPT_API_HOST: '127.0.0.1',
        SUPERSCRIPT_LOG_LEVEL: 'warn',
        // A graceful stop at the end of a scenario should not wait half a minute for scripts.
        SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: '1',
        // The dev server keeps closed runs one day; the warning about it is noise here.
        SUPERSCRIPT_MIN_RETENTION_DAYS: '0',
        ...this.opts.env,
        ...extraEnv,
      },
      stopGraceMs: 1000,
    });
    const untrack = track(() => void service.kill());
    this.services.add(service);
    void service.exited.then(() => {
      untrack();
      this.services.delete(service);
    });
    return service;
  }
}

/** Removes a scenario's scratch folder; FAULTS_KEEP_DATA=1 keeps it (ledger, pids, SQLite) for a post-mortem. */
export function removeUnlessKept(dir: string): void {
  if (process.env.FAULTS_KEEP_DATA === '1') return;
  rmSync(dir, { recursive: true, force: true });
}
