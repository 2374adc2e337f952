// One benchmark figure: SuperScript's value, the baseline's, their ratio, and the target it is held to.
import type { Persistence } from './config.js';

export interface Target {
  /** What the limit applies to: the ratio superscript/baseline, or SuperScript's own value. */
  on: 'ratio' | 'value';
  op: '<=' | '>=' | '<' | '=';
  limit: number;
}

export interface Figure {
  scenario: string;
  metric: string;
  unit: string;
  /** Server persistence the figure was taken with; null when no server is involved. */
  persistence: Persistence | null;
  /** Which baseline `baseline` is; null when there is none. */
  against: string | null;
  /** Measured in rounds: the median of the per-round values (and `ratio` the median per-round ratio). */
  superscript: number;
  baseline: number | null;
  ratio: number | null;
  /**
   * Over rounds: how many, and the lowest and highest per-round value of what the target applies to (the
   * ratio when there is a baseline, else the value). Null for a figure taken once.
   */
  spread: { rounds: number; min: number; max: number } | null;
  target: string | null;
  met: boolean | null;
  /** Whether every round is on the same side of the target as the median; null without target or rounds. */
  conclusive: boolean | null;
}

/**
 * What each figure is held to. Ratios are SuperScript ÷ baseline, measured side by side in one run; the
 * latency and throughput ones are checked on the embedded default (file) and reported for memory too.
 */
export const TARGETS = {
  /**
   * p50 of a first run, module and HTTP, against the raw SDK on the same tuned server (a): the guarantee
   * (the key store's reservation, claim and record included) costs nothing over an app that has none.
   */
  firstRunVsTuned: { on: 'ratio', op: '<=', limit: 1.0 },
  /** p50 and p90 of a first run against the raw SDK on a stock dev server (b). */
  firstRunVsStock: { on: 'ratio', op: '<=', limit: 0.3 },
  /**
   * p50 of a duplicate of a completed key, answered from the key store, against (a)'s describe() and
   * result() sent at once.
   */
  duplicate: { on: 'ratio', op: '<=', limit: 0.5 },
  /** Distinct keys per second, against (a) and (b). */
  throughputVsTuned: { on: 'ratio', op: '>=', limit: 1.1 },
  throughputVsStock: { on: 'ratio', op: '>=', limit: 1.3 },
  /** A batch's wall time against a hand-written fan-out (one child workflow per order) on (a)'s server. */
  batchWallTime: { on: 'ratio', op: '<=', limit: 1.0 },
} as const satisfies Record<string, Target>;

export const AGAINST = {
  tuned: 'raw SDK, tuned server (a)',
  stock: 'raw SDK, stock server (b)',
  fanOut: 'raw SDK fan-out, a child workflow per order, tuned server (a)',
  floor: 'bash -c true via child_process, no output',
} as const;

export interface FigureInput {
  scenario: string;
  metric: string;
  unit: string;
  persistence: Persistence | null;
  against?: string;
  target?: Target;
}

/** A figure taken once. */
export function figure(f: FigureInput & { superscript: number; baseline?: number }): Figure {
  const { superscript, baseline, ...rest } = f;
  return roundsFigure({
    ...rest,
    superscript: [superscript],
    ...(baseline === undefined ? {} : { baseline: [baseline] }),
  });
}

/**
 * A figure taken in rounds: `superscript[i]` and `baseline[i]` were measured side by side in round i. The
 * ratio is the median of the per-round ratios, so drift between rounds cancels out.
 */
export function roundsFigure(f: FigureInput & { superscript: number[]; baseline?: number[] }): Figure {
  const base = f.baseline;
  const ratios = base?.every((b) => b > 0) ? f.superscript.map((s, i) => s / base[i]!) : undefined;
  const ratio = ratios ? median(ratios) : null;
  const perRound = f.target?.on === 'value' || !ratios ? f.superscript : ratios;
  const rounds = f.superscript.length;
  let met: boolean | null = null;
  let conclusive: boolean | null = null;
  if (f.target) {
    const subject = f.target.on === 'ratio' ? ratio : median(f.superscript);
    met = subject === null ? false : holds(subject, f.target);
    if (rounds > 1 && subject !== null) conclusive = perRound.every((x) => holds(x, f.target!) === met);
  }
  return {
    scenario: f.scenario,
    metric: f.metric,
    unit: f.unit,
    persistence: f.persistence,
    against: f.against ?? null,
    superscript: round(median(f.superscript)),
    baseline: base === undefined ? null : round(median(base)),
    ratio: ratio === null ? null : round(ratio),
    spread:
      rounds > 1 ? { rounds, min: round(Math.min(...perRound)), max: round(Math.max(...perRound)) } : null,
    target: f.target ? describeTarget(f.target, f.unit) : null,
    met,
    conclusive,
  };
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Three decimals keep latest.json readable; targets are checked on the unrounded values. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function holds(x: number, t: Target): boolean {
  switch (t.op) {
    case '<=':
      return x <= t.limit;
    case '>=':
      return x >= t.limit;
    case '<':
      return x < t.limit;
    case '=':
      return x === t.limit;
  }
}

function describeTarget(t: Target, unit: string): string {
  return t.on === 'ratio' ? `ratio ${t.op} ${t.limit.toFixed(2)}` : `${t.op} ${t.limit} ${unit}`;
}

/** The figure without its target: a real cluster's figures are measured, not held to the targets. */
export function untargeted(f: Figure): Figure {
  return { ...f, target: null, met: null };
}

export const CLUSTER_BESIDE_EMBEDDED = '8. a real cluster beside the embedded default';

/**
 * SuperScript's own cluster figures beside the same figures on the embedded default (`file`), measured in
 * the same run: what a real deployment costs. No targets.
 */
export function besideEmbedded(figures: Figure[]): Figure[] {
  const seen = new Set<string>();
  const out: Figure[] = [];
  for (const f of figures) {
    if (f.persistence !== 'cluster' || seen.has(`${f.scenario}|${f.metric}`)) continue;
    const embedded = figures.find(
      (g) => g.persistence === 'file' && g.scenario === f.scenario && g.metric === f.metric,
    );
    if (!embedded) continue;
    seen.add(`${f.scenario}|${f.metric}`);
    out.push(
      figure({
        scenario: CLUSTER_BESIDE_EMBEDDED,
        metric: `${f.scenario.replace(/^\d+\. /, '')}: ${f.metric}`,
        unit: f.unit,
        persistence: 'cluster',
        against: 'SuperScript, embedded default (file)',
        superscript: f.superscript,
        baseline: embedded.superscript,
      }),
    );
  }
  return out;
}
