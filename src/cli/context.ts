// What every command needs: settings, the registry and a logger (and the SDK's runtime, for workers).
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';
import { loadRegistry, type ScriptRegistry } from '../config/scripts.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { installSdkRuntime } from '../metrics/sdk-runtime.js';

export interface Context {
  settings: Settings;
  registry: ScriptRegistry;
  log: Logger;
  /** The SDK Runtime's Prometheus exporter, when this command serves metrics from a worker it hosts. */
  sdkMetricsUrl?: string;
}

export interface ContextOptions {
  /** Whether this command hosts a worker and serves its metrics (and so needs the SDK's exporter). */
  sdkMetrics?: (settings: Settings) => boolean;
}

export async function loadContext(
  overrides: Partial<Settings> = {},
  options: ContextOptions = {},
): Promise<Context> {
  const settings = { ...loadSettings(), ...overrides };
  // Logs go to stderr: stdout belongs to the command's own output (`exec` replays a script's stdout there).
  const log = pino({ level: settings.logLevel }, pino.destination(2));
  const sdkMetricsUrl = await installSdkRuntime(sdkLogger(log), options.sdkMetrics?.(settings) ?? false);
  return { settings, registry: loadRegistry(settings.registryFile), log, sdkMetricsUrl };
}

/** The SDK logs at the same level as SuperScript, but never below WARN (its INFO is life-cycle chatter). */
function sdkLevel(pinoLevel: string): LogLevel {
  return pinoLevel === 'error' || pinoLevel === 'fatal' || pinoLevel === 'silent' ? 'ERROR' : 'WARN';
}

/** The Temporal SDK's own log lines (warnings and up), through pino. */
function sdkLogger(log: Logger): DefaultLogger {
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
