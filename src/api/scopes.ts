// What a caller's scopes allow. `admin` allows everything; `run:X` (or `run:*`) starts and reads runs of
// script X; `read` reads and lists every run; `retry` and `cancel` act on runs of scripts the caller may
// run; `schedule` creates, changes and deletes schedules (creating one also needs `run:` for its script,
// whose fires run with the creator's authority). A run with no recorded script (started outside
// SuperScript) is for `read` and `admin` only.
import type { Scope } from '../config/tokens.js';

export interface Principal {
  /** The token's name; recorded as who retried a run. */
  name: string;
  scopes: readonly Scope[];
}

/** The caller of an API without a tokens file, which only a loopback API may be. */
export const OPEN_PRINCIPAL: Principal = { name: 'local (open API)', scopes: ['admin'] };

export type RunAction = 'read' | 'retry' | 'cancel';

function has(p: Principal, scope: Scope): boolean {
  return p.scopes.includes('admin') || p.scopes.includes(scope);
}

function runsSomeScript(p: Principal): boolean {
  return p.scopes.some((s) => s === 'admin' || s.startsWith('run:'));
}

/** Whether the caller may create, change and delete schedules. */
export function maySchedule(p: Principal): boolean {
  return has(p, 'schedule');
}

export function mayRun(p: Principal, script: string): boolean {
  return has(p, 'run:*') || has(p, `run:${script}`);
}

export function mayAct(p: Principal, action: RunAction, script: string | undefined): boolean {
  const runs = script !== undefined && mayRun(p, script);
  return action === 'read' ? has(p, 'read') || runs : has(p, action) && runs;
}

/** Whether some run could allow `action`; if not, the answer is 403 whatever the run. */
export function mayEverAct(p: Principal, action: RunAction): boolean {
  return action === 'read' ? has(p, 'read') || runsSomeScript(p) : has(p, action) && runsSomeScript(p);
}

/** Whether `action` is allowed on any run, whatever its script (so the run need not be looked up). */
export function mayActOnAny(p: Principal, action: RunAction): boolean {
  return p.scopes.includes('admin') || (action === 'read' && has(p, 'read'));
}

/** The scripts whose runs a listing may show: undefined for all of them. */
export function listableScripts(p: Principal): string[] | undefined {
  if (has(p, 'read') || has(p, 'run:*')) return undefined;
  return p.scopes.filter((s) => s.startsWith('run:')).map((s) => s.slice('run:'.length));
}

/** What a refused action needed, for the 403's message. */
export function neededFor(action: RunAction | 'start' | 'list', script?: string): string {
  const run = script === undefined ? 'run:<script>' : `run:${script}`;
  if (action === 'start') return `${run} (or run:*)`;
  if (action === 'read' || action === 'list') return `read, or ${run}`;
  return `${action} and ${run} (or run:*)`;
}
