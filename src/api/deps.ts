// What the API's routes are built from.
import type { ScriptRegistry } from '../config/scripts.js';
import type { BatchShape } from '../runs/requests.js';
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
  /** Serve POST /v1/payments/traditional, the demonstration of the problem: `superscript dev` only. */
  traditionalRoute?: boolean;
  /** How batches are cut into parts; tests make it small. Default: DEFAULT_BATCH_SHAPE. */
  batchShape?: BatchShape;
  /** Temporal's Web UI, to link each run to its page there. */
  temporalUiUrl?: string;
  /** Days after its run ends that the key store remembers a key; none: until pruned. */
  keyRetentionDays?: number;
}
