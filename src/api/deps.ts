// What the API's routes are built from.
import type { RunService } from '../runs/service.js';
import type { ScheduleService } from '../schedules/service.js';
import type { WaitGate } from './wait.js';

export interface ApiDeps {
  /** The one front door to the installation's runs: every route is one call to it. */
  runs: RunService;
  /** The installation's schedules, over the same runs. */
  schedules: ScheduleService;
  /** Where the scripts run directly by POST /v1/payments/traditional keep their files. */
  dataDir: string;
  /** Default wait for a run's result before answering 202. */
  waitMs: number;
  /** Bounds how many requests wait for results at once. */
  waits: WaitGate;
  /** Serve POST /v1/payments/traditional, the demonstration of the problem: `superscript dev` only. */
  traditionalRoute?: boolean;
}
