// What every command needs: settings, the registry and a logger.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';
import { loadRegistry, type ScriptRegistry } from '../config/scripts.js';
import { loadSettings, type Settings } from '../config/settings.js';

export interface Context {
  settings: Settings;
  registry: ScriptRegistry;
  log: Logger;
}

export function loadContext(overrides: Partial<Settings> = {}): Context {
  const settings = { ...loadSettings(), ...overrides };
  // Logs go to stderr: stdout belongs to the command's own output (`exec` replays a script's stdout there).
  const log = pino({ level: settings.logLevel }, pino.destination(2));
  installSdkLogger(log);
  return { settings, registry: loadRegistry(settings.registryFile), log };
}

let installed = false;

/** The SDK logs at the same level as SuperScript, but never below WARN (its INFO is life-cycle chatter). */
function sdkLevel(pinoLevel: string): LogLevel {
  return pinoLevel === 'error' || pinoLevel === 'fatal' || pinoLevel === 'silent' ? 'ERROR' : 'WARN';
}

/** Routes the Temporal SDK's own log lines (warnings and up) through pino. */
function installSdkLogger(log: Logger): void {
  if (installed) return;
  installed = true;
  const level: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const sdk = log.child({ component: 'temporal-sdk' });
  Runtime.install({
    // SuperScript handles SIGINT/SIGTERM itself (stopOnSignals), in order: API, then worker, then server.
    shutdownSignals: [],
    logger: new DefaultLogger(sdkLevel(log.level), (entry) =>
      sdk[level[entry.level]](entry.meta ?? {}, entry.message),
    ),
  });
}
