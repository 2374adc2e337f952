// Activity signatures, imported by workflows with `import type` only.
import type {
  CollectOrderInput,
  DecideOrderInput,
  DecideOrderResult,
  DecisionPage,
} from '../shared/batches.js';
import type { ScriptRunInput } from '../shared/runs.js';
import type { FireReport, ScheduleFireInput } from '../shared/schedules.js';
import type { PermitRequest } from '../shared/semaphore.js';
import type { BatchResult, DecisionAction, OrderCounts, OrderReport } from '../shared/schemas/batches.js';
import type { RunResult } from '../shared/schemas/runs.js';
import type { PermitHolder } from '../shared/schemas/semaphore.js';

/**
 * What a run's activity is asked to do. Which run it belongs to (workflow ID, run ID, type, attempt) is not
 * part of it: activities read that from their context, as the Temporal server tells it.
 */
export type RunActivityInput = ScriptRunInput;

export interface RunActivities {
  /** Runs a script from the worker's own registry; never a command that arrived over the wire. */
  runScript(input: RunActivityInput): Promise<RunResult>;
  /** Runs the verify command of a script from the worker's own registry, with the script's arguments. */
  verifyScript(input: RunActivityInput): Promise<RunResult>;
  /** Hosted only by `superscript exec` on its private task queue: runs the command it was invoked with. */
  runCommand(input: RunActivityInput): Promise<RunResult>;
}

/** Hosted on the batch task queue (see batchTaskQueue): they mostly wait. */
export interface BatchActivities {
  /** Starts or attaches to one order's payment run, waits for it, and reports it without its output. */
  collectOrder(input: CollectOrderInput): Promise<OrderReport>;
  /** Waits for a batch part to end and returns its counts (not its reports). */
  awaitBatchPart(input: { workflowId: string }): Promise<OrderCounts>;
  /** Writes a batch's batch.finished notification into the outbox (once, however often it is called). */
  noteBatchFinished(result: BatchResult): Promise<void>;
  /** A page of a batch's orders a bulk decision applies to, as their keys stand now. */
  decisionPage(input: { batchId: string; action: DecisionAction; cursor?: string }): Promise<DecisionPage>;
  /** Retries or resolves one order's key as a single run's retry or resolve would, and waits for its end. */
  decideOrder(input: DecideOrderInput): Promise<DecideOrderResult>;
}

/** Local activities of the per-script semaphore. */
export interface SemaphoreActivities {
  /**
   * Asks the script's semaphore for a permit (signal-with-start), with the cap of the worker's registry;
   * false when that registry does not cap the script, so there is no permit to wait for.
   */
  requestPermit(input: PermitRequest): Promise<boolean>;
  /** The holders whose runs have ended. */
  endedRuns(holders: PermitHolder[]): Promise<PermitHolder[]>;
}

/** Hosted on the batch task queue beside BatchActivities: it mostly waits. */
export interface ScheduleActivities {
  /** Starts or attaches to the run of a schedule's fire (its key from the template and time), and waits for it. */
  fireSchedule(input: ScheduleFireInput & { scheduledTime: string }): Promise<FireReport>;
}
