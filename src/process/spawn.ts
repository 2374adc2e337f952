// Runs one command as argv (never through a shell string) in a process group of its own, captures capped
// stdout and stderr, and ends the whole group on timeout, on cancellation, or when its host dies.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { processReaper } from './reaper.js';
import type { Outcome, RunResult } from '../shared/schemas/runs.js';

export interface ProcessSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The working folder; created if missing. */
  cwd?: string;
  /** The command is ended (SIGTERM, then SIGKILL) after this long. */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Bytes of stdout and of stderr kept, counted as stored (JSON-encoded); the rest is cut and flagged. */
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
  let child;
  try {
    if (spec.cwd) mkdirSync(spec.cwd, { recursive: true });
    child = spawn(spec.command, spec.args, {
      env: spec.env,
      cwd: spec.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so ending it ends everything it started.
      detached: true,
    });
  } catch (error) {
    return notStarted(spec.command, error as Error, started);
  }
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
    if (exit.error) stderr.push(Buffer.from(cannotStart(spec.command, exit.error)));
    const { code: exitCode, signal } = exit;
    const ended = Date.now();
    const out = stdout.result();
    const err = stderr.result();
    return {
      exitCode,
      signal,
      stdout: out.text,
      stderr: err.text,
      stdoutTruncated: out.truncated,
      stderrTruncated: err.truncated,
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

function cannotStart(command: string, error: Error): string {
  return `superscript: cannot start ${command}: ${error.message}\n`;
}

/** A command that could not even be spawned (e.g. its working folder cannot be made): a failed run, not a crash. */
function notStarted(command: string, error: Error, started: number): ProcessOutcome {
  const ended = Date.now();
  return {
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: cannotStart(command, error),
    stdoutTruncated: false,
    stderrTruncated: false,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(ended).toISOString(),
    durationMs: ended - started,
    timedOut: false,
    cancelled: false,
  };
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

/**
 * Keeps the output that fits in `limit` bytes as it is stored: a JSON string in a Temporal payload, where a
 * control byte takes 6 bytes (\u0001) and an invalid UTF-8 byte 3 (U+FFFD). Counting raw bytes would let two
 * streams of such output burst the payload limit and lose a finished run's result.
 */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private cut = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    // Every raw byte stores as one byte or more, so `limit` raw bytes always fill the stored cap.
    const room = this.limit - this.size;
    if (chunk.length > room) this.cut = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  /** The kept output, decoded and cut to what fits once stored, and whether anything was left out. */
  result(): { text: string; truncated: boolean } {
    const decoder = new TextDecoder('utf-8');
    const raw = Buffer.concat(this.chunks, this.size);
    // Output cut short may end inside a character: drop that part instead of storing U+FFFD for it.
    const decoded = this.cut ? decoder.decode(raw, { stream: true }) : decoder.decode(raw);
    const text = decoded.slice(0, storedLength(decoded, this.limit));
    return { text, truncated: this.cut || text.length < decoded.length };
  }
}

/** How many UTF-16 units of `text` fit in `limit` bytes once JSON-encoded (without the quotes) as UTF-8. */
function storedLength(text: string, limit: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let units = 1;
    let size: number;
    if (c < 0x20) size = c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) size = 2;
    else if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      size = 4;
      units = 2;
    } else if (c >= 0xd800 && c <= 0xdfff)
      size = 6; // a lone surrogate is escaped as \udxxx
    else size = 3;
    if (bytes + size > limit) break;
    bytes += size;
    i += units;
  }
  return i;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
