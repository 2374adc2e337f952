// The embedded Temporal server: the official CLI's `temporal server start-dev`, a child of this process,
// tuned for latency and persisted to a SQLite file in the data folder.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Durability } from '../config/settings.js';
import { TemporalUnavailableError } from '../errors.js';
import { Daemon } from '../process/daemon.js';
import { untilServing } from './serving.js';
import { SCRIPT_SEARCH_ATTRIBUTE } from '../shared/runs.js';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file; required unless durability is `memory`. */
  dbFile?: string;
  durability: Durability;
  /** Extra `start-dev` arguments, e.g. more --dynamic-config-value. */
  extraArgs?: string[];
  /** How long to wait for the server to answer. Default: 60 s. */
  startTimeoutMs?: number;
  /**
   * Start it as a user would by hand: no tuning, no SQLite pragmas, no search attribute (its HTTP port stays
   * closed all the same). Only the benchmark's baseline uses this. Default: false.
   */
  stock?: boolean;
}

// The stock dev server runs one history shard with history.transferProcessorMaxPollRPS at 20, which holds
// every task dispatch back ~50 ms once a few workflows have run: a one-activity workflow took 150 ms p50
// here. Lifting the cap and letting activities start eagerly took it to 34 ms (see test/bench/README.md).
// Eager workflow start lets a starter that shares its connection with a worker on the run's task queue
// (`superscript dev`) hand the first workflow task straight to that worker; other starters are unaffected.
const TUNING = [
  '--dynamic-config-value',
  'history.transferProcessorMaxPollRPS=10000',
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
  '--dynamic-config-value',
  'system.enableEagerWorkflowStart=true',
];

// The frontend's HTTP port answers a `text/plain` POST, which any web page may send without a CORS preflight:
// open, any page the user visits could start workflows through it. SuperScript uses nothing on that port and
// start-dev always opens it (`--http-port 0` picks a free port), so it is closed from inside:
// - frontend.httpAllowedHosts guards Temporal's HTTP API (grpc-gateway). The server anchors the list as one
//   regular expression over the whole Host, port included, literal but for `*`; Go's HTTP server answers 400 to
//   any Host with a space before a handler sees it, so this entry matches no request, not even one without a
//   Host (403 `Host not allowed`; see docs/security.md).
// - Nexus's routes on that port are outside that check: with Nexus off they answer 404, instead of holding a
//   request open while it waits for a Nexus worker.
const CLOSED_HTTP_PORT = [
  '--dynamic-config-value',
  'frontend.httpAllowedHosts=["no host: SuperScript does not use this API"]',
  '--dynamic-config-value',
  'system.enableNexus=false',
];

// What each durability survives (docs/guarantee.md): full = power loss, normal = process kill (an OS crash may
// lose the last commits), off = process kill (an OS crash may corrupt the file), memory = nothing.
const PRAGMAS: Record<Exclude<Durability, 'memory'>, string[]> = {
  full: ['journal_mode=wal', 'synchronous=full'],
  normal: ['journal_mode=wal', 'synchronous=normal'],
  off: ['journal_mode=wal', 'synchronous=off'],
};

/** How long the server gets to stop on SIGTERM before SIGKILL. */
const SERVER_STOP_GRACE_MS = 10_000;

export class DevServer {
  private constructor(
    private readonly daemon: Daemon,
    readonly address: string,
    readonly uiUrl: string | undefined,
  ) {}

  static async start(opts: DevServerOptions): Promise<DevServer> {
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(opts.port),
      '--log-level',
      'error',
    ];
    args.push(...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']), ...CLOSED_HTTP_PORT);
    if (!opts.stock) args.push('--search-attribute', `${SCRIPT_SEARCH_ATTRIBUTE}=Keyword`, ...TUNING);
    if (opts.durability !== 'memory') {
      if (!opts.dbFile) throw new TypeError('DevServer: dbFile is required unless durability is memory');
      mkdirSync(path.dirname(opts.dbFile), { recursive: true });
      args.push('--db-filename', opts.dbFile);
      if (!opts.stock) for (const pragma of PRAGMAS[opts.durability]) args.push('--sqlite-pragma', pragma);
    }
    args.push(...(opts.extraArgs ?? []));

    // Its own process group, so a Ctrl-C meant for SuperScript does not stop it before the worker has
    // drained; the reaper still ends it if SuperScript dies without stopping it.
    const daemon = Daemon.spawn('temporal dev server', {
      command: opts.cliPath,
      args,
      stopGraceMs: SERVER_STOP_GRACE_MS,
    });
    const address = `127.0.0.1:${opts.port}`;
    const server = new DevServer(
      daemon,
      address,
      opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    );
    try {
      await server.waitUntilServing(opts.startTimeoutMs ?? 60_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get pid(): number | undefined {
    return this.daemon.pid;
  }

  /** Stops the server: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = SERVER_STOP_GRACE_MS): Promise<void> {
    await this.daemon.stop(graceMs);
  }

  /** Kills the server outright, as a crash would (fault tests). */
  async kill(): Promise<void> {
    await this.daemon.kill();
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const alive = () => this.daemon.running;
    if (await untilServing(this.address, { namespace: 'default', timeoutMs, alive })) return;
    throw new TemporalUnavailableError(
      `The Temporal dev server did not start on ${this.address}` +
        (!this.daemon.running
          ? ` (it exited): ${this.daemon.output().trim().split('\n').slice(-5).join(' | ')}`
          : ` within ${timeoutMs} ms.`) +
        ' Is the port in use? Choose another with --temporal-port.',
    );
  }
}
