// What a stack is assembled from: the installation's settings, its script registry, a logger, and the SDK
// metrics exporter of a worker in this process (the CLI's context, or one a test or the bench makes).
import type { Logger } from 'pino';
import type { ScriptRegistry } from '../config/scripts.js';
import type { Settings } from '../config/settings.js';

export interface StackContext {
  settings: Settings;
  registry: ScriptRegistry;
  log: Logger;
  /** The SDK Runtime's Prometheus exporter, when this process serves metrics from a worker it hosts. */
  sdkMetricsUrl?: string;
}
