// Everything the worker registers. Each export's name is its workflow type (see src/shared/workflow-types.ts).
export { ScriptRunWorkflow } from './script-run.js';
export { SinglePaymentCollectionWorkflow } from './payment.js';
export { OrchestratorWorkflow } from './batch.js';
export { BatchPartWorkflow } from './batch-part.js';
export { ScriptSemaphoreWorkflow } from './semaphore.js';
export { ScheduleFireWorkflow } from './schedule-fire.js';
export { BatchDecisionWorkflow } from './batch-decision.js';
