// Temporal's retention: how long the namespace keeps a closed run's history. Keys outlive it in the key
// store; what goes with the history is the run's details (its events, its retry's input), not its key.
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import type { Logger } from 'pino';

const DAY_SECONDS = 86_400;

/** The namespace's retention in days. */
export async function retentionDays(client: Client): Promise<number> {
  const ns = await client.connection.workflowService.describeNamespace({
    namespace: client.options.namespace,
  });
  const seconds = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  return seconds / DAY_SECONDS;
}

/** Sets the retention (the embedded dev server starts with one day). */
export async function setRetentionDays(client: Client, days: number): Promise<void> {
  await client.connection.workflowService.updateNamespace({
    namespace: client.options.namespace,
    config: { workflowExecutionRetentionTtl: msToTs(days * DAY_SECONDS * 1000) },
  });
}

/** Warns when keys are forgotten sooner than the configured minimum. */
export async function checkRetention(client: Client, minDays: number, log: Logger): Promise<number> {
  const days = await retentionDays(client);
  if (days < minDays) {
    log.warn(
      { retentionDays: days, minRetentionDays: minDays },
      `namespace ${client.options.namespace} keeps closed runs for ${days} days: the key store still answers their keys after that, but their histories (events, who retried them) are gone. ` +
        'Raise the retention (temporal operator namespace update --retention) or lower SUPERSCRIPT_MIN_RETENTION_DAYS.',
    );
  }
  return days;
}
