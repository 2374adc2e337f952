// What every command needs: settings, the registry and a logger (and the SDK's runtime, for workers).
import { pino, type Logger } from 'pino';
import { loadRegistry } from '../config/scripts.js';
import { loadSettings, type Settings } from '../config/settings.js';
import type { StackContext } from '../stack/context.js';

/** The same a stack is assembled from, so the long-running commands hand theirs on as it is. */
export type Context = StackContext;

export interface ContextOptions {
  /**
   * The command hosts a worker: the SDK's Runtime is installed first, logging through pino, with its
   * metrics exporter when `metrics` says the command serves metrics. Other commands never install it, and
   * the client commands (`pay`, `status`, ...) never load the SDK's worker package, so they start quickly.
   */
  worker?: { metrics: (settings: Settings) => boolean };
}

export async function loadContext(
  overrides: Partial<Settings> = {},
  options: ContextOptions = {},
): Promise<Context> {
  const settings = { ...loadSettings(), ...overrides };
  // Logs go to stderr: stdout belongs to the command's own output (`exec` replays a script's stdout there).
  const log = pino({ level: settings.logLevel }, pino.destination(2));
  const sdkMetricsUrl = options.worker && (await installRuntime(log, options.worker.metrics(settings)));
  return { settings, registry: loadRegistry(settings.registryFile), log, sdkMetricsUrl };
}

async function installRuntime(log: Logger, metrics: boolean): Promise<string | undefined> {
  const [{ installSdkRuntime }, { sdkLogger }] = await Promise.all([
    import('../metrics/sdk-runtime.js'),
    import('./sdk-logger.js'),
  ]);
  return installSdkRuntime(sdkLogger(log), metrics);
}
