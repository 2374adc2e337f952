// Everything the worker registers. Each export's name is its workflow type (see contract.ts WorkflowTypes).
export { ScriptRunWorkflow } from './run-script.js';
export { SinglePaymentCollectionWorkflow } from './payment.js';
export { OrchestratorWorkflow } from './orchestrator.js';
export { BatchPartWorkflow } from './batch-part.js';
export { ScriptSemaphoreWorkflow } from './semaphore.js';
