// The activity that runs a registered script. It trusts only the worker's own registry, the Temporal
// server and the key store: the request is re-validated against the registry, the run's identity comes
// from the activity's context, and whether (and how often) the script may start is the key store's and the
// registry's answer, whatever the workflow was started with.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { keyFromTemplate, validateArgs, type ScriptRegistry, type ScriptSpec } from '../config/scripts.js';
import { SuperScriptError } from '../errors.js';
import type { KeyGuard } from '../keystore/guard.js';
import { scriptProcess } from '../process/launch.js';
import { paymentWorkflowId } from '../shared/ids.js';
import { PAYMENT_SCRIPT, RunFailureTypes, canonicalJson } from '../shared/runs.js';
import { WorkflowTypes } from '../shared/workflow-types.js';
import type { RunSource } from '../runs/read.js';
import { executeInActivity, refusal, type RunRules } from './process-activity.js';
import { assertHoldsPermit } from './semaphore.js';
import { awaitStartSlot } from './start-rate.js';
import type { RunActivityInput } from './types.js';
import type { RunResult, ScriptArgs } from '../shared/schemas/runs.js';

export function createRunScript(registry: ScriptRegistry, dataDir: string, runs: RunSource, keys: KeyGuard) {
  return async function runScript(input: RunActivityInput): Promise<RunResult> {
    const startedAt = Date.now();
    const { launch, rules, spec, args } = registeredProcess(registry, input, dataDir, scriptProcess);
    // Which run holds the permit is the server's word, as for every identity check.
    const run = Context.current().info.workflowExecution;
    const permit =
      spec.maxConcurrent && run
        ? () => assertHoldsPermit(runs, spec, { workflowId: run.workflowId, runId: run.runId })
        : undefined;
    const slot = spec.ratePerSecond ? () => awaitStartSlot(keys.store, spec, startedAt) : undefined;
    return executeInActivity(input, launch, {
      ...rules,
      keys: {
        guard: keys,
        script: spec.name,
        request: canonicalJson({ script: spec.name, args }),
        grantToken: input.retryOf?.grant,
      },
      beforeStart: betweenClaimAndStart(permit, slot),
    });
  };
}

/**
 * What a script checks between its claim and its start: its permit (capped), then its start slot (rate
 * limited), the slot last so it is as close to the start as can be. None: claimed and started in one write.
 */
function betweenClaimAndStart(
  ...checks: (undefined | (() => Promise<void>))[]
): (() => Promise<void>) | undefined {
  const present = checks.filter((c) => c !== undefined);
  if (present.length === 0) return undefined;
  return async () => {
    for (const check of present) await check();
  };
}

/**
 * How a request launches on this worker (the script, or its verify command) and what the worker allows it,
 * checked against the worker's own registry; anything it does not know fails the run without retrying.
 */
export function registeredProcess(
  registry: ScriptRegistry,
  input: RunActivityInput,
  dataDir: string,
  launch: typeof scriptProcess,
): { launch: ReturnType<typeof scriptProcess>; rules: RunRules; spec: ScriptSpec; args: ScriptArgs } {
  let spec, args;
  try {
    spec = registry.get(input.script);
    args = validateArgs(spec, input.args);
  } catch (err) {
    if (!(err instanceof SuperScriptError)) throw err;
    throw ApplicationFailure.create({
      type: RunFailureTypes.notRegistered,
      message: err.message,
      nonRetryable: true,
    });
  }
  return {
    spec,
    args,
    launch: launch(spec, args, dataDir),
    rules: {
      workflowId: impliedWorkflowId(registry, spec, args, input.key),
      attempts: spec.retry?.maximumAttempts ?? 1,
    },
  };
}

/**
 * The workflow ID the request itself implies: a payment's is its order's, a script with a key template
 * runs under the template's key, any other under its key. A run under another ID is refused, so a
 * workflow started by hand under one ID cannot charge another order.
 */
function impliedWorkflowId(
  registry: ScriptRegistry,
  spec: ScriptSpec,
  args: ScriptArgs,
  key: string,
): string {
  const { workflowType } = Context.current().info;
  if (workflowType === WorkflowTypes.payment) {
    if (spec.name !== PAYMENT_SCRIPT) throw refusal(`A payment workflow runs only ${PAYMENT_SCRIPT}.`);
    return paymentWorkflowId(String(args.orderId));
  }
  if (workflowType !== WorkflowTypes.script) {
    throw refusal(
      `Scripts run only in ${WorkflowTypes.script} and ${WorkflowTypes.payment}, not ${workflowType}.`,
    );
  }
  const formed = keyFromTemplate(spec, args);
  if (formed !== undefined) return formed;
  // A key of another script's form is that script's alone: taking it would run this script in its place.
  if (registry.ownerOfKey(key) !== undefined) {
    throw refusal(
      `Refused to run ${spec.name} under key "${key}": keys of that form belong to script "${registry.ownerOfKey(key)}". Nothing ran.`,
    );
  }
  return key;
}
