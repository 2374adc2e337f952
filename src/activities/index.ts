// The activities a SuperScript worker hosts.
import type { ScriptRegistry } from '../config/scripts.js';
import type { Runs } from '../runs/runs.js';
import { createAttachToRun } from './attach.js';
import { createRunScript } from './run-script.js';
import type { RunActivities } from './types.js';
import { createVerifyScript } from './verify.js';

export function createActivities(
  registry: ScriptRegistry,
  runs: Runs,
  dataDir: string,
): Omit<RunActivities, 'runCommand'> {
  return {
    runScript: createRunScript(registry, dataDir),
    verifyScript: createVerifyScript(registry, dataDir),
    attachToRun: createAttachToRun(runs),
  };
}
