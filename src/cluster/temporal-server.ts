// The full Temporal server (`temporal-server start`), all four services in one child process, configured by
// the files server-config.ts writes; its log goes to server.log beside them.
import path from 'node:path';
import { ClusterError } from '../errors.js';
import { Daemon } from '../process/daemon.js';
import { untilServing } from '../devserver/serving.js';
import { CONFIG_ENV } from './server-config.js';

/** A stopping server drains its shards; past this it is killed. */
const STOP_GRACE_MS = 20_000;

export interface TemporalServerOptions {
  binary: string;
  /** The folder server-config.ts wrote (config/, dynamicconfig.yaml). */
  dir: string;
  frontendPort: number;
}

export class TemporalServer {
  private daemon: Daemon | undefined;

  constructor(private readonly opts: TemporalServerOptions) {}

  get address(): string {
    return `127.0.0.1:${this.opts.frontendPort}`;
  }

  /** The configuration server-config.ts wrote, which the server reads at start. */
  get configFile(): string {
    return path.join(this.opts.dir, 'config', `${CONFIG_ENV}.yaml`);
  }

  get logFile(): string {
    return path.join(this.opts.dir, 'server.log');
  }

  get pid(): number | undefined {
    return this.daemon?.pid;
  }

  get running(): boolean {
    return this.daemon?.running ?? false;
  }

  /** Starts it; resolves once the frontend answers (and knows `namespace`, when given). */
  async start(namespace?: string): Promise<void> {
    if (this.running) return;
    const daemon = Daemon.spawn('temporal server', {
      command: this.opts.binary,
      // No authorizer: the frontend listens on loopback only. A deployment sets one (see the README).
      args: ['--root', this.opts.dir, '--config', 'config', '--env', CONFIG_ENV, '--allow-no-auth', 'start'],
      logFile: this.logFile,
      stopGraceMs: STOP_GRACE_MS,
    });
    this.daemon = daemon;
    const timeoutMs = 120_000;
    if (await untilServing(this.address, { namespace, timeoutMs, alive: () => daemon.running })) return;
    const why = daemon.running ? `did not answer within ${timeoutMs / 1000} s` : 'exited';
    await daemon.stop();
    throw new ClusterError(
      `The Temporal server on ${this.address} ${why}: ${lastError(daemon.output())} ` +
        `(log: ${this.logFile}). Is a port in use? Choose other ones.`,
    );
  }

  /** SIGTERM: the services leave the ring and release their shards. */
  async stop(): Promise<void> {
    await this.daemon?.stop();
  }

  /** SIGKILL, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    await this.daemon?.kill();
  }
}

/** The server logs JSON lines with stack traces; its last error line's message is what says why. */
function lastError(log: string): string {
  for (const line of log.trim().split('\n').reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (entry.level === 'error' || entry.level === 'fatal')
        return [entry.msg, entry.error].filter(Boolean).join(': ');
    } catch {
      // Not a JSON line (a Go panic, a config loader line): shown as it is below.
    }
  }
  return log.trim().split('\n').slice(-3).join(' | ').slice(-1000);
}
