// What every scenario returns, and the bookkeeping that turns checks into `held`.
import type { CliSource } from './stack.js';
import type { Topology } from './topology.js';

export type Figure = number | string | boolean | null;
export type Figures = Record<string, Figure>;

export interface ScenarioResult {
  scenario: string;
  title: string;
  /** Every invariant held, and the scenario ran to the end. */
  held: boolean;
  figures: Figures;
  /** Violated invariants first (prefixed `VIOLATED:`), then notes. */
  details: string[];
  durationMs: number;
}

export interface ScenarioContext {
  /** The server, and how many workers and APIs a scenario starts; only crash scenarios kill anything. */
  topology: Topology;
  cli: CliSource;
  log: (line: string) => void;
}

/** Collects checks; a scenario holds when none failed. */
export class Invariants {
  constructor(
    private readonly prefix = '',
    private readonly violations: string[] = [],
    private readonly notes: string[] = [],
  ) {}

  /** The same record, each message naming `phase` (one of several in a scenario), so a violation says where. */
  phase(phase: string): Invariants {
    return new Invariants(`${this.prefix}${phase}: `, this.violations, this.notes);
  }

  /** Records `message` as violated unless `ok`; returns `ok`. */
  check(ok: boolean, message: string): boolean {
    if (!ok) this.violations.push(`VIOLATED: ${this.prefix}${message}`);
    return ok;
  }

  note(message: string): void {
    this.notes.push(`${this.prefix}${message}`);
  }

  get held(): boolean {
    return this.violations.length === 0;
  }

  get details(): string[] {
    return [...this.violations, ...this.notes];
  }
}

/**
 * Runs a scenario body. An exception (a batch that never finished, a worker that would not start) is itself
 * a broken invariant: the result says so, with whatever figures were gathered before it.
 */
export async function runScenario(
  scenario: string,
  title: string,
  body: (inv: Invariants, figures: Figures) => Promise<void>,
): Promise<ScenarioResult> {
  const started = Date.now();
  const inv = new Invariants();
  const figures: Figures = {};
  try {
    await body(inv, figures);
  } catch (err) {
    inv.check(false, `the scenario did not run to the end: ${(err as Error).stack ?? String(err)}`);
  }
  return { scenario, title, held: inv.held, figures, details: inv.details, durationMs: Date.now() - started };
}

/** A short random tag, lowercase so it fits every fixture pattern; keeps IDs unique on a shared server. */
export function runTag(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
