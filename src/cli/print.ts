// How a run is shown at a terminal.
import type { StartOrAttach } from '../runs/view.js';
import { forTerminal, terminalSafeJson } from './terminal.js';
import type { RunResult, VerifyAnswer } from '../shared/schemas/runs.js';
import type { RunView } from '../shared/schemas/views.js';

const ANSWERS: Record<VerifyAnswer, string> = { done: 'done', not_done: 'not done', unknown: 'cannot tell' };

export function printRun(outcome: Partial<StartOrAttach> & { run: RunView }, json: boolean): void {
  if (json) {
    process.stdout.write(
      `${terminalSafeJson({ ...outcome.run, executed: outcome.executed, replayed: outcome.replayed })}\n`,
    );
    return;
  }
  const { run } = outcome;
  const how =
    outcome.executed === undefined
      ? ''
      : outcome.executed
        ? ' (executed by this request)'
        : outcome.replayed
          ? ' (already done: stored result replayed, nothing ran)'
          : ' (attached to the run in flight, nothing ran twice)';
  const lines = [`${run.workflowId}  ${run.status}${how}`, `  run ${run.runId}`];
  const result = run.result as RunResult | undefined;
  if (result && 'exitCode' in result) {
    lines.push(
      `  exit ${result.exitCode ?? result.signal ?? '-'}, ${result.durationMs} ms, attempt ${result.attempt}, ${result.startedAt}`,
    );
    if (result.stdout)
      lines.push('  stdout:', indent(result.stdout) + (result.stdoutTruncated ? '\n    [truncated]' : ''));
    if (result.stderr)
      lines.push('  stderr:', indent(result.stderr) + (result.stderrTruncated ? '\n    [truncated]' : ''));
    const v = result.verified;
    if (v)
      lines.push(
        `  verified: verify answered ${ANSWERS[v.answer]} (exit ${v.exitCode ?? '-'}) for run ${v.runId}, asked by ${v.by}, ${v.at}`,
      );
  } else if (run.result) {
    lines.push(indent(JSON.stringify(run.result, null, 2)));
  }
  if (run.message && run.status !== 'succeeded') lines.push(`  ${run.message}`);
  // The script's output is in there: escaped at a terminal.
  process.stdout.write(forTerminal(process.stdout, `${lines.join('\n')}\n`));
}

function indent(text: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
