// The results: a table on stdout, test/bench/results/latest.json and test/bench/results/latest.md.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import prettier from 'prettier';
import type { BenchConfig } from './config.js';
import type { Figure } from './figures.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  os: string;
  temporalCli: string;
  temporalServer: string | null;
  /** 1, 5 and 15 minute load averages when the bench started and ended: a busy machine skews every figure. */
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export async function describeMachine(cliPath: string): Promise<Machine> {
  const { stdout } = await promisify(execFile)(cliPath, ['--version']);
  const temporalCli = stdout.trim();
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    temporalCli,
    temporalServer: /Server (\S+?)[,)]/.exec(temporalCli)?.[1] ?? null,
    loadAverageAtStart: loadAverage(),
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

export interface Report {
  generatedAt: string;
  machine: Machine;
  config: BenchConfig;
  figures: Figure[];
  /** Scenarios that threw; their figures are missing. */
  errors: { scenario: string; persistence: string | null; message: string }[];
}

const HEADERS = [
  'Persistence',
  'Metric',
  'SuperScript',
  'Baseline',
  'Against',
  'Ratio',
  'Spread over rounds',
  'Target',
  'Result',
];
const RESULT = HEADERS.indexOf('Result');

function cells(f: Figure): string[] {
  return [
    f.persistence ?? '-',
    f.metric,
    value(f.superscript, f.unit),
    f.baseline === null ? '-' : value(f.baseline, f.unit),
    f.against ?? '-',
    f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
    spread(f),
    f.target ?? '-',
    f.met === null
      ? ''
      : `${f.met ? 'met' : 'MISSED'}${f.conclusive === false ? ' (not in every round)' : ''}`,
  ];
}

/** min-max of the per-round values the target applies to (ratios when there is a baseline). */
function spread(f: Figure): string {
  if (!f.spread) return '-';
  const { min, max, rounds } = f.spread;
  const show = (x: number) => (f.ratio === null ? value(x, f.unit) : `${x.toFixed(2)}x`);
  return `${show(min)} to ${show(max)} (${rounds})`;
}

function value(x: number, unit: string): string {
  const digits = unit === 'ms' || unit === 'runs/s' ? 1 : unit === 's' ? 2 : 0;
  return `${x.toFixed(digits)} ${unit}`;
}

function byScenario(figures: Figure[]): Map<string, Figure[]> {
  const groups = new Map<string, Figure[]>();
  for (const f of figures) groups.set(f.scenario, [...(groups.get(f.scenario) ?? []), f]);
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

export function textTable(r: Report): string {
  const rows = r.figures.map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i >= 2 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const [scenario, figures] of byScenario(r.figures)) {
    out.push('', scenario);
    out.push(...figures.map((f) => line(cells(f))));
  }
  out.push('', summary(r));
  return out.join('\n');
}

export function markdown(r: Report): string {
  const m = r.machine;
  const escape = (c: string) => c.replace(/\|/g, '\\|');
  const out = [
    `Measured ${r.generatedAt} on ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ` +
      `${m.temporalCli}, load average ${m.loadAverageAtStart.join(' / ')} at the start` +
      `${m.loadAverageAtEnd ? ` and ${m.loadAverageAtEnd.join(' / ')} at the end` : ''}` +
      `${r.config.quick ? ' — **quick run (BENCH_QUICK=1): small samples, for checking the bench, not for quoting**' : ''}.`,
    '',
    `| Scenario | ${HEADERS.join(' | ')} |`,
    `|${' --- |'.repeat(HEADERS.length + 1)}`,
  ];
  for (const [scenario, figures] of byScenario(r.figures)) {
    for (const f of figures) {
      const row = cells(f).map((c, i) => (i === RESULT && c.startsWith('MISSED') ? `**${c}**` : c));
      out.push(`| ${[scenario, ...row].map(escape).join(' | ')} |`);
    }
  }
  out.push('', summary(r, '- '), '', ...NOTES, '');
  return out.join('\n');
}

const NOTES = [
  'How to read it: ratio is SuperScript ÷ baseline, so below 1 is better for latency and above 1 for ' +
    'throughput. Baseline (a) is a hand-written one-activity workflow spawning the same script with ' +
    '`child_process`, on the same tuned dev server; (b) is the same on a stock `temporal server start-dev`. ' +
    '`file` is the embedded default (SQLite, WAL, synchronous=full; the stock server gets plain ' +
    '`--db-filename`); `memory` is no file. SuperScript runs as `superscript dev` composes it: worker and ' +
    'API in one process, runs started with eager workflow start. HTTP requests go through node:http over ' +
    'kept-alive connections.',
  'Latency and throughput figures are measured in rounds, the paths taking turns within each round: a ' +
    'value is the median of its per-round values, a ratio the median of the per-round ratios, and the ' +
    'spread is the lowest and highest per-round value (ratio) with the number of rounds. "not in every ' +
    'round" marks a target whose verdict some round contradicts. Latencies are of back-to-back sequential ' +
    'requests; p99 is reported but not held to a target. A duplicate is held against (a) sending ' +
    '`describe()` and `result()` at once. Throughput is runs ÷ wall time for a fixed number of runs.',
  'Batches go in through `POST /v1/batches` to a separate `superscript worker` process (from the build); ' +
    "its RSS is read from /proc (VmHWM over the process's life, cross-checked by sampling). The raw " +
    'fan-out is a hand-written workflow starting one child workflow per order with the same number in ' +
    "flight, continuing as new when the server suggests it, on (a)'s worker.",
  '`cluster` is a real cluster: the full Temporal Server on PostgreSQL (persistence and visibility), ' +
    'measured by `npm run bench -- --cluster`, which runs no (b) and holds no figure to a target; there (a) ' +
    "runs on the same cluster, and scenario 8 sets SuperScript's cluster figures beside the embedded " +
    "default's from the same run.",
];

/** The count of targets met, then one line per miss and per error; `bullet` makes them a Markdown list. */
function summary(r: Report, bullet = ''): string {
  const targeted = r.figures.filter((f) => f.met !== null);
  const missed = targeted.filter((f) => f.met === false);
  const lines = [`Targets: ${targeted.length - missed.length} of ${targeted.length} met.`];
  if (bullet && (missed.length > 0 || r.errors.length > 0)) lines.push('');
  for (const f of missed) {
    const against = f.against ? ` vs ${f.against}` : '';
    lines.push(`${bullet}MISSED: [${f.persistence ?? '-'}] ${f.metric}${against} (${f.target})`);
  }
  for (const e of r.errors)
    lines.push(`${bullet}ERROR: [${e.persistence ?? '-'}] ${e.scenario}: ${e.message}`);
  return lines.join('\n');
}

/** Writes `name`.json and `name`.md, formatted as `prettier --check bench` (in `npm run lint`) expects. */
export async function writeReport(dir: string, name: string, r: Report): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const write = async (name: string, text: string, parser: string) => {
    const file = path.join(dir, name);
    const options = (await prettier.resolveConfig(file)) ?? {};
    writeFileSync(file, await prettier.format(text, { ...options, parser }));
  };
  await write(`${name}.json`, JSON.stringify(r, null, 2), 'json');
  await write(`${name}.md`, markdown(r), 'markdown');
}
