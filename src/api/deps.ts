// What the API's routes are built from.
import type { ScriptRegistry } from '../config/scripts.js';
import type { Runs } from '../runs/runs.js';
import type { WaitGate } from './wait.js';

export interface ApiDeps {
  runs: Runs;
  registry: ScriptRegistry;
  dataDir: string;
  /** Default wait for a run's result before answering 202. */
  waitMs: number;
  /** Bounds how many requests wait for results at once. */
  waits: WaitGate;
  /** Temporal's Web UI, to link each run to its page there. */
  temporalUiUrl?: string;
}
