// Guarantees no script outlives the process that started it, even when that process is SIGKILLed.
//
// One small bash process per host process holds the read end of a pipe. Each script runs in its own
// process group, whose ID (and grace period) is written to the pipe at spawn and withdrawn at exit. When
// the host dies, the kernel closes the pipe; the reaper reads EOF and ends every group still listed:
// SIGTERM, then SIGKILL after the longest grace among them. One reaper per process instead of one
// supervisor per script keeps spawns cheap.
import { spawn, type ChildProcess } from 'node:child_process';

const REAPER = `
trap '' INT TERM HUP
declare -A groups
while IFS=' ' read -r op grace; do
  case $op in
    +*) groups[\${op:1}]=$grace ;;
    -*) unset "groups[\${op:1}]" ;;
  esac
done
[ \${#groups[@]} -eq 0 ] && exit 0
for g in "\${!groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
sleep "$(printf '%s\\n' "\${groups[@]}" | sort -g | tail -n 1)"
for g in "\${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
`;

export class Reaper {
  private readonly child: ChildProcess;

  constructor() {
    // Detached, so a Ctrl-C meant for the host does not reach it first; it must outlive the host.
    // --norc: with a socket for stdin, bash would otherwise take itself for an rsh session and run ~/.bashrc.
    this.child = spawn('bash', ['--norc', '-c', REAPER, 'superscript-reaper'], {
      stdio: ['pipe', 'ignore', 'inherit'],
      detached: true,
    });
    this.child.unref();
    // The pipe is our lifeline, not a stream we wait on: it must not keep the event loop alive.
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
    this.child.stdin?.on('error', () => {});
  }

  /** Ends group `pgid` if the host dies: SIGTERM, then SIGKILL after `graceMs`. */
  watch(pgid: number, graceMs: number): void {
    this.child.stdin?.write(`+${pgid} ${graceMs / 1000}\n`);
  }

  release(pgid: number): void {
    this.child.stdin?.write(`-${pgid}\n`);
  }

  /** The pid of the reaper itself, for tests. */
  get pid(): number | undefined {
    return this.child.pid;
  }
}

let shared: Reaper | undefined;

/** The process-wide reaper, started on first use. */
export function processReaper(): Reaper {
  shared ??= new Reaper();
  return shared;
}
