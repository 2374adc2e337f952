// A worker starts the alerting count at 0 for every script it can run, under the tags its workflows count
// with: Prometheus' increase() sees a first outcome_unknown only on a series that already existed.
import { Runtime } from '@temporalio/worker';
import { RunMetrics } from '../shared/metrics.js';
import { PAYMENT_SCRIPT } from '../shared/runs.js';
import { WorkflowTypes } from '../shared/workflow-types.js';

export function zeroOutcomeUnknown(namespace: string, taskQueue: string, scripts: string[]): void {
  const { name, help } = RunMetrics.outcomeUnknown;
  const counter = Runtime.instance().metricMeter.createCounter(name, undefined, help);
  for (const script of scripts) {
    const types =
      script === PAYMENT_SCRIPT ? [WorkflowTypes.script, WorkflowTypes.payment] : [WorkflowTypes.script];
    // The tags the SDK puts on a workflow's metrics: the worker's namespace and task queue, the workflow type.
    for (const workflowType of types) counter.add(0, { namespace, taskQueue, workflowType, script });
  }
}
