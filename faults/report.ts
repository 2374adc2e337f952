// Prints each scenario's figures as it ends, and writes faults/results/latest.json for the record.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScenarioResult } from './scenario.js';
import { ROOT, type CliSource } from './stack.js';

export const RESULTS_FILE = path.join(ROOT, 'faults', 'results', 'latest.json');

export function formatScenario(r: ScenarioResult): string {
  const lines = [
    `${r.scenario} ${r.held ? 'HELD' : 'BROKEN'}  ${r.title}  (${(r.durationMs / 1000).toFixed(1)} s)`,
  ];
  const width = Math.max(0, ...Object.keys(r.figures).map((k) => k.length));
  for (const [name, value] of Object.entries(r.figures))
    lines.push(`    ${name.padEnd(width)}  ${String(value)}`);
  for (const detail of r.details) lines.push(`  ! ${detail}`);
  return lines.join('\n');
}

export function formatSummary(results: ScenarioResult[], durationMs: number): string {
  const held = results.filter((r) => r.held).length;
  return [
    `faults: ${held}/${results.length} scenarios held in ${(durationMs / 1000).toFixed(1)} s`,
    ...results.map((r) => `  ${r.scenario}  ${r.held ? 'held  ' : 'BROKEN'}  ${r.title}`),
  ].join('\n');
}

export function writeReport(
  results: ScenarioResult[],
  meta: { startedAt: Date; durationMs: number; cli: CliSource; selected: string[] },
): string {
  const report = {
    startedAt: meta.startedAt.toISOString(),
    durationMs: meta.durationMs,
    held: results.every((r) => r.held),
    selected: meta.selected,
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cli: meta.cli,
    },
    scenarios: results.map((r) => ({
      scenario: r.scenario,
      title: r.title,
      held: r.held,
      durationMs: r.durationMs,
      figures: r.figures,
      details: r.details,
    })),
  };
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  return RESULTS_FILE;
}
