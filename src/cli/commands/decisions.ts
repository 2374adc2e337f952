// Bulk decisions on a batch: `batch-retry` retries its failed orders, `batch-resolve` resolves its unknown
// ones; each asks the API once (asking again attaches to the first) and follows the decision to its end.
// A client of the HTTP API like the other batch commands: the token's scopes hold, and its name is recorded.
import { setTimeout as sleep } from 'node:timers/promises';
import { apiClient } from '../api-client.js';
import type { Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { forTerminal, terminalSafeJson } from '../terminal.js';
import type { DecisionAction, DecisionView } from '../../shared/schemas/batches.js';

/** How often a decision's progress is read while the CLI follows it. */
const POLL_MS = 500;

export async function batchDecision(
  ctx: Context,
  batchId: string,
  action: DecisionAction,
  o: { wait?: number; json?: boolean },
): Promise<number> {
  const api = apiClient(ctx.settings);
  const deadline = o.wait === undefined ? Infinity : Date.now() + o.wait * 1000;
  const started = (await api.decideBatch(batchId, action)).started ?? false;
  let view = await api.readDecision(batchId, action);
  let shown = '';
  while (view.status === 'running' && Date.now() < deadline) {
    const now = JSON.stringify(view.progress);
    if (now !== shown && !o.json) process.stderr.write(`${line(view)}\n`);
    shown = now;
    await sleep(Math.min(POLL_MS, deadline - Date.now()));
    view = await api.readDecision(batchId, action);
  }
  const code =
    view.status === 'running' ? EXIT.stillRunning : view.status === 'succeeded' ? EXIT.ok : EXIT.error;
  if (o.json) {
    process.stdout.write(`${terminalSafeJson({ ...view, started })}\n`);
    return code;
  }
  const how = started ? ' (started by this command)' : ' (asked for before: attached, nothing started twice)';
  process.stdout.write(forTerminal(process.stdout, `${line(view)}${how}\n`));
  if (view.lastError) process.stdout.write(forTerminal(process.stdout, `  last error: ${view.lastError}\n`));
  return code;
}

function line({ batchId, action, status, by, progress: p }: DecisionView): string {
  return (
    `batch ${batchId} ${action} (by ${by})  ${status}  eligible ${p.eligible}, done ${p.done}: ` +
    `succeeded ${p.succeeded}, still failed ${p.stillFailed}, still unknown ${p.stillUnknown}, skipped ${p.skipped}, failed ${p.failed}`
  );
}
