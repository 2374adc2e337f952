// The activity that asks a registered script's verify command whether a run did its work. Same checks,
// arguments, environment and limits as the script itself; only the command (and its timeout) differ.
import type { ScriptRegistry } from '../config/scripts.js';
import { verifyProcess } from '../runner/script-process.js';
import type { RunResult } from '../workflows/contract.js';
import { executeInActivity } from './execute.js';
import { registeredProcess } from './run-script.js';
import type { RunActivityInput } from './types.js';

export function createVerifyScript(registry: ScriptRegistry, dataDir: string) {
  return async function verifyScript(input: RunActivityInput): Promise<RunResult> {
    const { launch, rules } = registeredProcess(registry, input, dataDir, verifyProcess);
    // Named so the activity's messages say it was verify, not the script, that exited or was ended.
    // Verify is asked once per resolve, whatever the script's own retry allowance.
    return executeInActivity({ ...input, script: `${input.script} verify` }, launch, {
      ...rules,
      attempts: 1,
    });
  };
}
