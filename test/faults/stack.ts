// One scenario's world, assembled as `cluster up` assembles its processes (src/stack/processes.ts): its own
// task queue, data folder (and so ledger) and key store, and `superscript worker` and `superscript api`
// processes, children of this one that a scenario may SIGKILL one by one (a daemon re-parented to PID 1
// spawns scripts far slower here, and children die with us). Everything started is registered with the
// cleanup, so a failed or interrupted run still stops all of it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { freePort } from '../../src/devserver/free-port.js';
import { openKeyStore } from '../../src/keystore/open.js';
import type { KeyStore } from '../../src/keystore/store.js';
import type { Daemon } from '../../src/process/daemon.js';
import { embeddedKeyStoreUrl } from '../../src/stack/key-store.js';
import { ProcessStack, type ApiProcess } from '../../src/stack/processes.js';
import { externalTemporal } from '../../src/stack/temporal.js';
import { Cleanup } from '../support/cleanup.js';
import { chargesByOrder, ledger, lines } from '../support/data-folder.js';
import { ROOT } from '../support/paths.js';

/** Run the built CLI (bin/superscript.js) or the TypeScript source through tsx. */
export type CliSource = 'dist' | 'src';

/** Whatever is still running when this process exits is killed, even on an uncaught error. */
export const cleanup = new Cleanup();

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
// SuperScript processes: `superscript worker` and `superscript api`.

/** The Temporal server a stack runs on, and the namespace to use. */
export interface ServerTarget {
  address: string;
  namespace: string;
  /** A key store shared by everything on this server (a cluster's PostgreSQL); else each stack has a file. */
  keyStoreUrl?: string;
}

/** A worker or API process; `kill()` is a SIGKILL, `stop()` an orderly stop. */
export type Service = Daemon;
export type ApiService = ApiProcess;

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
  private keys: Promise<KeyStore> | undefined;

  private constructor(
    readonly opts: StackOptions,
    readonly taskQueue: string,
    readonly dataDir: string,
    private readonly processes: ProcessStack,
    private readonly forget: () => void,
  ) {}

  static async open(opts: StackOptions): Promise<Stack> {
    const taskQueue = `faults-${opts.name}-${process.pid}-${++stackCounter}-${Date.now().toString(36)}`;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `superscript-faults-${opts.name}-`));
    const processes = await ProcessStack.open({
      // The key store every worker and API of this stack shares: the cluster's database, or a file here.
      temporal: externalTemporal({
        ...opts.server,
        keyStoreUrl: opts.server.keyStoreUrl ?? embeddedKeyStoreUrl(dataDir),
      }),
      taskQueue,
      entry: opts.cli === 'dist' ? undefined : ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts')],
      env: {
        SUPERSCRIPT_CONFIG: opts.registryFile,
        SUPERSCRIPT_DATA_DIR: dataDir,
        SUPERSCRIPT_LOG_LEVEL: 'warn',
        // A graceful stop at the end of a scenario should not wait half a minute for scripts.
        SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: '1',
        // The dev server keeps closed runs one day; the warning about it is noise here.
        SUPERSCRIPT_MIN_RETENTION_DAYS: '0',
        ...opts.env,
      },
      stopGraceMs: 1000,
    });
    const forget = cleanup.add(
      `stack ${opts.name}`,
      () => processes.stop(),
      () => processes.killNow(),
    );
    return new Stack(opts, taskQueue, dataDir, processes, forget);
  }

  get client(): Client {
    return this.processes.client;
  }

  get address(): string {
    return this.opts.server.address;
  }

  /** The key store this stack's workers and APIs share. */
  get keyStoreUrl(): string {
    return this.processes.temporal.keyStoreUrl!;
  }

  /** Starts `superscript worker` and resolves once it polls both its workflow and activity queues. */
  startWorker(extraEnv: Record<string, string> = {}): Promise<Service> {
    return this.processes.startWorker(extraEnv);
  }

  /** Starts `count` workers at once. */
  startWorkers(count: number): Promise<Service[]> {
    return Promise.all(Array.from({ length: count }, () => this.startWorker()));
  }

  /** Starts `superscript api` on a free port and resolves once /healthz answers 200. */
  async startApi(extraEnv: Record<string, string> = {}): Promise<ApiService> {
    return this.processes.startApi(await freePort(), extraEnv);
  }

  /** Starts `count` API processes, one after the other (each on its own free port). */
  async startApis(count: number): Promise<ApiService[]> {
    const apis: ApiService[] = [];
    for (let i = 0; i < count; i++) apis.push(await this.startApi());
    return apis;
  }

  /** Lines of this stack's payment ledger. */
  ledger(): string[] {
    return ledger(this.dataDir);
  }

  /** Charges per order ID, from the ledger. */
  chargesByOrder(): Map<string, number> {
    return chargesByOrder(this.dataDir);
  }

  /** Lines of a file in the data folder (the sleeper's executions-<tag>.log, pids-<tag>.txt). */
  lines(file: string): string[] {
    return lines(this.dataDir, file);
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

  /** Stops every process still running (APIs, then workers), closes the client, removes the data. */
  async stop(): Promise<void> {
    await this.processes.stop();
    this.forget();
    await (await this.keys?.catch(() => undefined))?.close();
    removeUnlessKept(this.dataDir);
  }
}

/** Removes a scenario's scratch folder; FAULTS_KEEP_DATA=1 keeps it (ledger, pids, SQLite) for a post-mortem. */
export function removeUnlessKept(dir: string): void {
  if (process.env.FAULTS_KEEP_DATA === '1') return;
  rmSync(dir, { recursive: true, force: true });
}
