// SuperScript's workflow types: the names the worker registers (the original design's names stay), and the
// input each takes, so a start names its type and its input together.
import { type BatchPartInput, type DecisionInput, type OrchestratorInput } from './batches.js';
import { type PaymentInput, type ScriptRunInput } from './runs.js';
import { type ScheduleFireInput } from './schedules.js';
import { type SemaphoreInput } from './semaphore.js';

/** Workflow type names. They must equal the exported function names, which is how the worker registers them. */
export const WorkflowTypes = {
  script: 'ScriptRunWorkflow',
  payment: 'SinglePaymentCollectionWorkflow',
  orchestrator: 'OrchestratorWorkflow',
  batchPart: 'BatchPartWorkflow',
  semaphore: 'ScriptSemaphoreWorkflow',
  scheduleFire: 'ScheduleFireWorkflow',
  batchDecision: 'BatchDecisionWorkflow',
} as const satisfies Record<string, WorkflowType>;

/** Each workflow type's input, so a start names its type and its input together. */
export interface WorkflowInputs {
  ScriptRunWorkflow: ScriptRunInput;
  SinglePaymentCollectionWorkflow: PaymentInput;
  OrchestratorWorkflow: OrchestratorInput;
  BatchPartWorkflow: BatchPartInput;
  ScriptSemaphoreWorkflow: SemaphoreInput;
  ScheduleFireWorkflow: ScheduleFireInput;
  BatchDecisionWorkflow: DecisionInput;
}

export type WorkflowType = keyof WorkflowInputs;
