// What a page gets: who is calling, the route's parameters, and a signal that aborts when the operator
// navigates away (it stops the page's polling).
import type { Caller } from './types.js';

export interface PageContext {
  caller: Caller;
  /** The part of the route after `#/runs/`, `#/batches/`: a run's key or a batch ID. */
  id?: string;
  params: URLSearchParams;
  signal: AbortSignal;
}

export type Page = (root: HTMLElement, ctx: PageContext) => Promise<void>;

/** Runs `tick` every `ms` until it returns false or the page is left. */
export function poll(ms: number, signal: AbortSignal, tick: () => Promise<boolean>): void {
  const next = () => {
    if (signal.aborted) return;
    const timer = setTimeout(() => {
      tick().then(
        (more) => (more ? next() : undefined),
        () => next(),
      );
    }, ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  };
  next();
}

/** `#/runs?status=failed`, from a path and parameters (empty ones left out). */
export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => Boolean(e[1])));
  const query = q.toString();
  return `#${path}${query ? `?${query}` : ''}`;
}
