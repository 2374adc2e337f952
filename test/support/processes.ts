// The process table, read from /proc: to prove that no script outlived the worker that started it, and that
// what a test stopped is gone.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** argv, as the kernel reports it. */
  argv: string[];
}

/** Every process we can read right now; ones that exit while we read are skipped. */
export function processTable(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      // The command name in /proc/<pid>/stat is parenthesised and may contain spaces: split after it.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Zombies have an empty cmdline and are already dead; they are not "left running".
      if (fields[0] === 'Z') continue;
      out.push({ pid: Number(name), ppid: Number(fields[1]), argv });
    } catch {
      // Exited between readdir and read.
    }
  }
  return out;
}

/** Live processes whose argv contains every one of `needles` (as whole arguments or substrings). */
export function findProcesses(...needles: string[]): ProcessEntry[] {
  return processTable().filter((p) => {
    const line = p.argv.join(' ');
    return needles.every((n) => line.includes(n));
  });
}

/** Whether a process is alive: it exists and is not a zombie waiting for its (new) parent to reap it. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces: the state is the field after it.
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Whether `pid` is alive and still the process we think it is (pids are reused). */
export function stillRunning(pid: number, argvIncludes: string): boolean {
  try {
    return (
      alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(argvIncludes)
    );
  } catch {
    return false;
  }
}
