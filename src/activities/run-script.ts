// The activity that runs a registered script. It re-validates the request against the worker's own
// registry: a worker runs only scripts it knows, with arguments that pass their schema.
import { ApplicationFailure } from '@temporalio/activity';
import { validateArgs, type ScriptRegistry } from '../config/scripts.js';
import { SuperScriptError } from '../errors.js';
import { scriptProcess } from '../runner/script-process.js';
import { RunFailureTypes, type RunResult } from '../workflows/contract.js';
import { executeInActivity } from './execute.js';
import type { RunActivityInput } from './types.js';

export function createRunScript(registry: ScriptRegistry, dataDir: string) {
  return async function runScript(input: RunActivityInput): Promise<RunResult> {
    return executeInActivity(input, registeredProcess(registry, input, dataDir, scriptProcess));
  };
}

/**
 * How a request launches on this worker (the script, or its verify command), checked against the worker's
 * own registry; anything it does not know fails the run without retrying.
 */
export function registeredProcess(
  registry: ScriptRegistry,
  input: RunActivityInput,
  dataDir: string,
  launch: typeof scriptProcess,
): ReturnType<typeof scriptProcess> {
  try {
    const spec = registry.get(input.script);
    return launch(spec, validateArgs(spec, input.args), dataDir);
  } catch (err) {
    if (!(err instanceof SuperScriptError)) throw err;
    throw ApplicationFailure.create({
      type: RunFailureTypes.notRegistered,
      message: err.message,
      nonRetryable: true,
    });
  }
}
