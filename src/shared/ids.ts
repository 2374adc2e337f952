// Workflow IDs and task queue names SuperScript derives: a payment's key, a batch's and its parts', a
// semaphore's, and the task queues beside the installation's own. It imports nothing, so the web UI uses it too.

/** The payment script's registry name; payment workflows are thin uses of the script workflow. */
export const PAYMENT_SCRIPT = 'collect-payment';

export function paymentWorkflowId(orderId: string): string {
  return `payment-${orderId}`;
}

/** The task queue of `superscript exec` runs' workflows, beside the installation's own. */
export function execTaskQueue(taskQueue: string): string {
  return `${taskQueue}-exec`;
}

export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}

/** Part n of a batch. `:` is not allowed in batch IDs, so no batch's part can take another batch's ID. */
export function batchPartWorkflowId(batchId: string, part: number): string {
  return `${batchWorkflowId(batchId)}:part-${part}`;
}

/** A bulk decision on a batch (`retry`, `resolve`): one per batch and action, so asking twice does it once. */
export function batchDecisionWorkflowId(batchId: string, action: string): string {
  return `${batchWorkflowId(batchId)}:${action}`;
}

/**
 * The semaphore of a capped script on one installation's task queue: the installation's workers serve it,
 * and installations sharing a namespace keep their caps apart.
 */
export function semaphoreWorkflowId(script: string, taskQueue: string): string {
  return `semaphore-${script}@${taskQueue}`;
}

/** The task queue of batches' activities that wait for orders, so they never take a script's slot. */
export function batchTaskQueue(taskQueue: string): string {
  return `${taskQueue}-batch`;
}

/** Between a schedule's name and its installation's task queue in its schedule ID. */
export const SCHEDULE_ID_SEPARATOR = '@';

/**
 * A schedule's ID in Temporal: its name on one installation's task queue, so installations sharing a
 * namespace keep their schedules apart.
 */
export function scheduleId(name: string, taskQueue: string): string {
  return `${name}${SCHEDULE_ID_SEPARATOR}${taskQueue}`;
}

/** The workflow ID of a schedule's fires; Temporal appends each fire's time to it. */
export function scheduleFireWorkflowId(name: string, taskQueue: string): string {
  return `schedule-${scheduleId(name, taskQueue)}`;
}
