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
  superscript: number;
  baseline: number | null;
  ratio: number | null;
  target: string | null;
  met: boolean | null;
}

export const AGAINST = {
  tuned: 'raw SDK, tuned server (a)',
  stock: 'raw SDK, stock server (b)',
  floor: 'bash -c true via child_process, no output',
} as const;

export interface FigureInput {
  scenario: string;
  metric: string;
  unit: string;
  persistence: Persistence | null;
  against?: string;
  superscript: number;
  baseline?: number;
  target?: Target;
}

export function figure(f: FigureInput): Figure {
  const ratio = f.baseline !== undefined && f.baseline > 0 ? f.superscript / f.baseline : null;
  let met: boolean | null = null;
  if (f.target) {
    const subject = f.target.on === 'ratio' ? ratio : f.superscript;
    met = subject === null ? false : holds(subject, f.target);
  }
  return {
    scenario: f.scenario,
    metric: f.metric,
    unit: f.unit,
    persistence: f.persistence,
    against: f.against ?? null,
    superscript: round(f.superscript),
    baseline: f.baseline === undefined ? null : round(f.baseline),
    ratio: ratio === null ? null : round(ratio),
    target: f.target ? describeTarget(f.target, f.unit) : null,
    met,
  };
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
