// What the caller's token allows, so the UI offers only that. The API decides; this only keeps the UI
// from showing buttons it would refuse. Same rules as the API's: `admin` allows everything; `run:X` (or
// `run:*`) starts and reads runs of script X; `read` reads every run; `retry` and `cancel` act on runs of
// scripts the caller may run.
import type { Caller } from './types.js';

export type Action = 'read' | 'retry' | 'cancel';

function has(c: Caller, scope: string): boolean {
  return c.scopes.includes('admin') || c.scopes.includes(scope);
}

/** Whether the caller may start runs of `script` (the API checks it again). */
export function mayRun(c: Caller, script: string | undefined): boolean {
  return script !== undefined && (has(c, 'run:*') || has(c, `run:${script}`));
}

/** Whether the caller may start runs of some script: the Start page is offered only then. */
export function mayStartAny(c: Caller): boolean {
  return c.scopes.some((s) => s === 'admin' || s.startsWith('run:'));
}

/** Whether the caller may pause and unpause schedules (the API checks it again). */
export function maySchedule(c: Caller): boolean {
  return has(c, 'schedule');
}

export function may(c: Caller, action: Action, script: string | undefined): boolean {
  if (action === 'read') return has(c, 'read') || mayRun(c, script);
  return has(c, action) && mayRun(c, script);
}
