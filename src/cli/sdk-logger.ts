// The Temporal SDK's own log lines (warnings and up) through pino, without the script output that failures
// carry.
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

/** The SDK logs at the same level as SuperScript, but never below WARN (its INFO is life-cycle chatter). */
function sdkLevel(pinoLevel: string): LogLevel {
  return pinoLevel === 'error' || pinoLevel === 'fatal' || pinoLevel === 'silent' ? 'ERROR' : 'WARN';
}

/** The Temporal SDK's own log lines (warnings and up), through pino. */
export function sdkLogger(log: Logger): DefaultLogger {
  const level: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const sdk = log.child({ component: 'temporal-sdk' });
  return new DefaultLogger(sdkLevel(log.level), (entry) =>
    sdk[level[entry.level]](withoutDetails(entry.meta ?? {}), entry.message),
  );
}

/**
 * The SDK logs a failed activity or workflow with its failure, whose details are a run's RunResult: the
 * script's stdout and stderr, which may hold secrets and never go to the logs. A failure is logged by its
 * name, type and message (and its cause's) instead.
 */
function withoutDetails(meta: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(meta).map(([name, value]) => [name, failureSummary(value)]));
}

function failureSummary(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('message' in value)) return value;
  const { name, message, type, cause } = value as Partial<
    Record<'name' | 'message' | 'type' | 'cause', unknown>
  >;
  return {
    name,
    message,
    ...(type === undefined ? {} : { type }),
    ...(cause === undefined ? {} : { cause: failureSummary(cause) }),
  };
}
