// What every command needs: settings, the registry, a logger, and a Temporal connection.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';
import { loadRegistry, type ScriptRegistry } from '../config/scripts.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { connectClient, temporalTarget, type TemporalTarget } from '../config/temporal-connection.js';
import { Runs } from '../runs/start-or-attach.js';

export interface Context {
  settings: Settings;
  registry: ScriptRegistry;
  log: Logger;
}

export function loadContext(overrides: Partial<Settings> = {}): Context {
  const settings = { ...loadSettings(), ...overrides };
  const log = pino({ level: settings.logLevel });
  installSdkLogger(log);
  return { settings, registry: loadRegistry(settings.registryFile), log };
}

export async function connectRuns(address?: string): Promise<{ runs: Runs; target: TemporalTarget }> {
  const target = temporalTarget(address);
  return { runs: new Runs(await connectClient(target)), target };
}

let installed = false;

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
    logger: new DefaultLogger('WARN', (entry) => sdk[level[entry.level]](entry.meta ?? {}, entry.message)),
  });
}
