// Activity signatures, imported by workflows with `import type` only.
import type { AttachInput, AttachOutcome, RunResult, ScriptRunInput } from '../workflows/contract.js';

export interface RunActivityInput extends ScriptRunInput {
  workflowId: string;
  runId: string;
}

export interface RunActivities {
  /** Runs a script from the worker's own registry; never a command that arrived over the wire. */
  runScript(input: RunActivityInput): Promise<RunResult>;
  /** Runs the verify command of a script from the worker's own registry, with the script's arguments. */
  verifyScript(input: RunActivityInput): Promise<RunResult>;
  /** Hosted only by `superscript exec` on its private task queue: runs the command it was invoked with. */
  runCommand(input: RunActivityInput): Promise<RunResult>;
  /** Waits for the run someone else started under a workflow ID and reports its result. */
  attachToRun(input: AttachInput): Promise<AttachOutcome>;
}
