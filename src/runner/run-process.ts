// Runs one command as argv (never through a shell string) in a process group of its own, captures capped
// stdout and stderr, and ends the whole group on timeout, on cancellation, or when its host dies.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Outcome, RunResult } from '../workflows/contract.js';
import { processReaper } from './reaper.js';

export interface ProcessSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** The command is ended (SIGTERM, then SIGKILL) after this long. */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Bytes of stdout and of stderr kept; the rest is counted as truncated. */
  maxOutputBytes: number;
  /** Aborting ends the command like a timeout does, but the outcome is `cancelled`. */
  signal?: AbortSignal;
  /** Live copies of the output, e.g. to stream it to a terminal. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

/** The process's share of a RunResult (exit code or signal, capped output, times), and how it ended. */
export interface ProcessOutcome extends Pick<
  RunResult,
  | 'exitCode'
  | 'signal'
  | 'stdout'
  | 'stderr'
  | 'stdoutTruncated'
  | 'stderrTruncated'
  | 'startedAt'
  | 'endedAt'
  | 'durationMs'
> {
  timedOut: boolean;
  cancelled: boolean;
}

/** What the process outcome means for a run. */
export function outcomeOf(o: ProcessOutcome): Outcome {
  if (o.cancelled) return 'cancelled';
  if (o.timedOut) return 'timed_out';
  return o.exitCode === 0 ? 'succeeded' : 'failed';
}

export async function runProcess(spec: ProcessSpec): Promise<ProcessOutcome> {
  const reaper = processReaper();
  const started = Date.now();
  const child = spawn(spec.command, spec.args, {
    env: spec.env,
    cwd: spec.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so ending it ends everything it started.
    detached: true,
  });
  const pgid = child.pid;
  if (pgid !== undefined) reaper.watch(pgid, spec.killGraceMs);

  const stdout = new CappedBuffer(spec.maxOutputBytes);
  const stderr = new CappedBuffer(spec.maxOutputBytes);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
    spec.onStdout?.(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    spec.onStderr?.(chunk);
  });

  let timedOut = false;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  let killed = false;
  const endGroup = (): void => {
    if (pgid === undefined || killTimer) return;
    signalGroup(pgid, 'SIGTERM');
    killTimer = setTimeout(() => {
      killed = true;
      signalGroup(pgid, 'SIGKILL');
    }, spec.killGraceMs);
  };
  // Only a signal that reaches a live script makes it timed out or cancelled; one that finished a moment
  // earlier keeps its own exit code.
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const timeout = setTimeout(() => {
    if (!running()) return;
    timedOut = true;
    endGroup();
  }, spec.timeoutMs);
  const onAbort = (): void => {
    if (!running()) return;
    cancelled = true;
    endGroup();
  };
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  if (spec.signal?.aborted) onAbort();

  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
      (resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('exit', (code, signal) => resolve({ code, signal }));
      },
    );
    if (pgid !== undefined) {
      // Being ended, the leader may go first (bash does on SIGTERM): its children keep their grace period.
      while (killTimer && !killed && groupAlive(pgid))
        await new Promise((resolve) => setTimeout(resolve, 50));
      // Whatever the script left behind in its group goes too, so nothing outlives the run.
      signalGroup(pgid, 'SIGKILL');
    }
    await drained(child.stdout, child.stderr, spec.killGraceMs);
    if (exit.error)
      stderr.push(Buffer.from(`superscript: cannot start ${spec.command}: ${exit.error.message}\n`));
    const { code: exitCode, signal } = exit;
    const ended = Date.now();
    return {
      exitCode,
      signal,
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      startedAt: new Date(started).toISOString(),
      endedAt: new Date(ended).toISOString(),
      durationMs: ended - started,
      timedOut,
      cancelled,
    };
  } finally {
    clearTimeout(timeout);
    clearTimeout(killTimer);
    spec.signal?.removeEventListener('abort', onAbort);
    if (pgid !== undefined) reaper.release(pgid);
  }
}

/** Waits for both streams to end; a process that escaped the group may hold them open, so not forever. */
async function drained(a: Readable, b: Readable, limitMs: number): Promise<void> {
  const ended = (r: Readable) =>
    r.readableEnded || r.destroyed ? Promise.resolve() : finished(r).catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([ended(a), ended(b)]),
    new Promise((resolve) => (timer = setTimeout(resolve, limitMs))),
  ]);
  clearTimeout(timer);
  a.destroy();
  b.destroy();
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Keeps the first `limit` bytes and remembers whether more came. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}
