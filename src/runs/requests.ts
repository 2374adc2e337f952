// Turns what a caller asked for (a script run, a payment, an `exec` command, a run again under its key) into the workflow start
// it needs, checking it against the script registry first so bad input starts nothing; and the payment
// preset: payments and batches run the registry's payment script, each order under its key `payment-<orderId>`.
// (A batch's starts are in batches/specs.ts.)
import {
  requestKey,
  runPolicy,
  validateArgs,
  type ScriptRegistry,
  type ScriptSpec,
} from '../config/scripts.js';
import { RunStateError } from '../errors.js';
import { execTaskQueue, paymentWorkflowId } from '../shared/ids.js';
import {
  EXEC_SCRIPT,
  PAYMENT_SCRIPT,
  type RunExtras,
  type RunPolicy,
  type ScriptRunInput,
} from '../shared/runs.js';
import type { KeyRecord } from '../shared/schemas/keys.js';
import type { CanonicalRequest, ScriptArgs } from '../shared/schemas/runs.js';
import { WorkflowTypes, type WorkflowInputs, type WorkflowType } from '../shared/workflow-types.js';
import { validateKey } from './keys.js';

/** What a run's input may carry beside its request: how it came to be started, and a resolve's own policy. */
export type InputExtras = RunExtras & { policy?: RunPolicy };

/** One workflow start: its type with the input that type takes, under the key's workflow ID. */
export type StartSpec<T extends WorkflowType = WorkflowType> = {
  [K in T]: {
    workflowId: string;
    workflowType: K;
    input: WorkflowInputs[K];
    request: CanonicalRequest;
    taskQueue: string;
    /**
     * Who starts it, recorded in the run's memo, when one caller may start it more than once (a batch's
     * activity, retried): a start that finds the run its own starter made still reports `executed`.
     */
    starter?: string;
  };
}[T];

/** A registered script's run; its arguments are the registry's to check (they differ by script). */
export function scriptRunSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  req: { script: string; args?: unknown; key?: string },
  extras: InputExtras = {},
): StartSpec<'ScriptRunWorkflow'> {
  const spec = registry.get(req.script);
  const args = validateArgs(spec, req.args ?? {});
  const key = scriptKey(registry, spec, args, req.key);
  const input: ScriptRunInput = { script: spec.name, args, key, policy: runPolicy(spec), ...extras };
  return {
    workflowId: key,
    workflowType: WorkflowTypes.script,
    input,
    request: { script: spec.name, args },
    taskQueue,
  };
}

/** The key a script's run takes: the one its template forms, else the one given; refused if another script's. */
function scriptKey(registry: ScriptRegistry, spec: ScriptSpec, args: ScriptArgs, given?: string): string {
  const key = validateKey(requestKey(spec, args, given));
  registry.assertKeyFor(spec.name, key);
  return key;
}

/** What `superscript exec` runs: its command, under its key, its activity on a task queue of its own. */
export interface ExecRequest {
  key: string;
  /** The command's name in listings (its basename unless given). */
  name: string;
  argv: string[];
  /** The exec process's private queue: only it runs the command. */
  activityTaskQueue: string;
  policy: RunPolicy;
}

/** The request an `exec` run stands for, as its key records it: the command by name and argv. */
export function execRequest(name: string, argv: string[]) {
  return { script: EXEC_SCRIPT, args: { name, argv: JSON.stringify(argv) } };
}

/**
 * An `exec` command's run; its workflow goes to `<task queue>-exec`, which every exec process polls, so
 * the next exec of the key settles a run whose process died. A key of a registered script's form is refused.
 */
export function execSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  req: ExecRequest,
): StartSpec<'ScriptRunWorkflow'> {
  const key = validateKey(req.key);
  registry.assertKeyFor(EXEC_SCRIPT, key);
  const request = execRequest(req.name, req.argv);
  const { activityTaskQueue, policy } = req;
  return {
    workflowId: key,
    workflowType: WorkflowTypes.script,
    input: { ...request, key, activityTaskQueue, policy },
    request,
    taskQueue: execTaskQueue(taskQueue),
  };
}

/** The registry's payment script: what payments and batches run, and what their orders are checked by. */
export function paymentScript(registry: ScriptRegistry): ScriptSpec {
  return registry.get(PAYMENT_SCRIPT);
}

/** The key an order is paid under, refused (at `field`) when the order ID makes no valid key. */
export function paymentKey(orderId: string, field = 'orderId'): string {
  return validateKey(paymentWorkflowId(orderId), field);
}

export function paymentSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  order: { orderId: unknown; amount: unknown },
  extras: InputExtras = {},
): StartSpec<'SinglePaymentCollectionWorkflow'> {
  const spec = paymentScript(registry);
  const args = validateArgs(spec, { orderId: order.orderId, amount: order.amount });
  const workflowId = paymentKey(String(args.orderId));
  return {
    workflowId,
    workflowType: WorkflowTypes.payment,
    input: {
      orderId: String(args.orderId),
      amount: Number(args.amount),
      policy: runPolicy(spec),
      ...extras,
    },
    request: { script: spec.name, args },
    taskQueue,
  };
}

/** A script or payment run's start: what a retry or a resolve starts again under the same key. */
export type RerunSpec = StartSpec<'ScriptRunWorkflow' | 'SinglePaymentCollectionWorkflow'>;

/**
 * A registered script's request under its key (given, or formed by its template), as a batch's row runs:
 * a payment under its order's key runs as the payment workflow, as the original design has it, so it is
 * the same run as `POST /v1/payments`'s.
 */
export function keyedSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  req: { script: string; args?: unknown; key?: string },
  extras: InputExtras = {},
): RerunSpec {
  if (req.script === PAYMENT_SCRIPT) {
    const args = validateArgs(paymentScript(registry), req.args ?? {});
    const orderKey = paymentWorkflowId(String(args.orderId));
    if ((req.key ?? orderKey) === orderKey)
      return paymentSpec(registry, taskQueue, { orderId: args.orderId, amount: args.amount }, extras);
  }
  return scriptRunSpec(registry, taskQueue, req, extras);
}

/** The start of the request a key stands for, again under the key, with `extras` (a retry or a resolve). */
export function rerunSpec(
  registry: ScriptRegistry,
  taskQueue: string,
  previous: KeyRecord,
  extras: InputExtras,
): RerunSpec {
  const { key } = previous;
  const request = JSON.parse(previous.request) as CanonicalRequest;
  if (request.script === EXEC_SCRIPT) {
    throw new RunStateError(
      `Run "${key}" is a \`superscript exec\` run: its command runs where exec runs. Retry it there with \`superscript exec --retry --key ${key} -- COMMAND\`.`,
    );
  }
  return keyedSpec(registry, taskQueue, { script: request.script, args: request.args, key }, extras);
}
