// The activity that runs a registered script. It re-validates the request against the worker's own
// registry: a worker runs only scripts it knows, with arguments that pass their schema.
import { ApplicationFailure } from '@temporalio/activity';
import { validateArgs, type ScriptRegistry } from '../config/scripts.js';
import { SuperScriptError } from '../errors.js';
import { scriptProcess } from '../runner/script-process.js';
import { RunFailureTypes, type RunResult } from '../workflows/contract.js';
import type { Runs } from '../runs/runs.js';
import { executeInActivity } from './execute.js';
import { assertHoldsPermit } from './semaphore.js';
import type { RunActivityInput } from './types.js';

export function createRunScript(registry: ScriptRegistry, dataDir: string, runs: Runs) {
  return async function runScript(input: RunActivityInput): Promise<RunResult> {
    let launch;
    let spec;
    try {
      spec = registry.get(input.script);
      launch = scriptProcess(spec, validateArgs(spec, input.args), dataDir);
    } catch (err) {
      if (!(err instanceof SuperScriptError)) throw err;
      throw ApplicationFailure.create({
        type: RunFailureTypes.notRegistered,
        message: err.message,
        nonRetryable: true,
      });
    }
    await assertHoldsPermit(runs, spec, input);
    return executeInActivity(input, launch);
  };
}
