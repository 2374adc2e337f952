// Prints each scenario's figures as it ends, and writes test/faults/results/latest.json for the record.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEMPORAL_SERVER_VERSION } from '../../src/cluster/binaries.js';
import { TEMPORAL_CLI_VERSION } from '../../src/devserver/temporal-cli.js';
import type { ScenarioResult } from './scenario.js';
import { ROOT } from '../support/paths.js';
import type { CliSource } from './stack.js';
import type { Topology } from './topology.js';

const TOPOLOGIES: Record<Topology['name'], string> = {
  dev: `Temporal dev server (CLI ${TEMPORAL_CLI_VERSION}, in memory; R3 on its own SQLite file), 1 worker and 1 API per scenario`,
  cluster: `Temporal Server ${TEMPORAL_SERVER_VERSION} on PostgreSQL (persistence and visibility), 2 workers and 2 APIs per scenario`,
};

const RESULTS_DIR = path.join(ROOT, 'test', 'faults', 'results');

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

/** Writes test/faults/results/<name>.json; returns its path. */
export function writeReport(
  name: string,
  results: ScenarioResult[],
  meta: {
    startedAt: Date;
    durationMs: number;
    cli: CliSource;
    selected: string[];
    topology: Topology['name'];
  },
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
      topology: TOPOLOGIES[meta.topology],
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
  const file = path.join(RESULTS_DIR, `${name}.json`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
