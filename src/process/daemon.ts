// A long-running child of this process (a Temporal server, PostgreSQL, a worker, an API): a process group of
// its own, so a Ctrl-C meant for us does not reach it before we stop things in order; ended by the reaper
// if we die without stopping it; stopped by signal, or killed outright to simulate a crash.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { processReaper } from './reaper.js';

export interface DaemonSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** Append stdout and stderr to this file; without it they are piped and the last few KB kept. */
  logFile?: string;
  /** The signal for an orderly stop, e.g. SIGINT for PostgreSQL's fast shutdown. Default: SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** How long an orderly stop may take before SIGKILL; also the reaper's grace. */
  stopGraceMs: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const TAIL_CHARS = 6000;

export class Daemon {
  readonly exited: Promise<Exit>;
  private tail = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly spec: DaemonSpec,
  ) {
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const pid = child.pid;
    if (pid !== undefined) processReaper().watch(pid, spec.stopGraceMs);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (pid !== undefined) processReaper().release(pid);
        resolve({ code, signal });
      });
      // A command that cannot be spawned at all (ENOENT) never emits 'exit'.
      child.once('error', (err) => {
        this.tail += `\n${err.message}`;
        resolve({ code: null, signal: null });
      });
    });
  }

  static spawn(name: string, spec: DaemonSpec): Daemon {
    const log = spec.logFile === undefined ? undefined : openSync(spec.logFile, 'a');
    try {
      const child = spawn(spec.command, spec.args, {
        env: spec.env ?? process.env,
        cwd: spec.cwd,
        uid: spec.uid,
        gid: spec.gid,
        stdio: log === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', log, log],
        detached: true,
      });
      return new Daemon(name, child, spec);
    } finally {
      if (log !== undefined) closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last few KB it printed, for saying why it failed. */
  output(): string {
    return this.spec.logFile === undefined ? this.tail : fileTail(this.spec.logFile);
  }

  /** An orderly stop: the stop signal, then SIGKILL after the grace period. */
  async stop(graceMs = this.spec.stopGraceMs): Promise<Exit> {
    if (this.running) {
      this.child.kill(this.spec.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }

  /** SIGKILL: no shutdown hooks, exactly like a crash. The signal is sent before this returns. */
  kill(): Promise<Exit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }
}

function fileTail(file: string): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, TAIL_CHARS);
    const buf = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  } catch {
    return '';
  }
}
