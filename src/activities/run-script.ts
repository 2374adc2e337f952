// The activity that runs a registered script. It re-validates the request against the worker's own
// registry: a worker runs only scripts it knows, with arguments that pass their schema.
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { scriptArgv, validateArgs, type ScriptRegistry, type ScriptSpec } from '../config/scripts.js';
import { SuperScriptError } from '../errors.js';
import { RunFailureTypes, type RunResult } from '../workflows/contract.js';
import { executeInActivity } from './execute.js';
import type { RunActivityInput } from './types.js';

export function createRunScript(registry: ScriptRegistry, dataDir: string) {
  return async function runScript(input: RunActivityInput): Promise<RunResult> {
    let spec: ScriptSpec;
    let argv: string[];
    try {
      spec = registry.get(input.script);
      argv = scriptArgv(spec, validateArgs(spec, input.args));
    } catch (err) {
      if (!(err instanceof SuperScriptError)) throw err;
      throw ApplicationFailure.create({
        type: RunFailureTypes.notRegistered,
        message: err.message,
        nonRetryable: true,
      });
    }
    return executeInActivity(input, {
      command: spec.path,
      args: argv,
      cwd: path.resolve(dataDir),
      env: scriptEnv(spec, dataDir),
      timeoutMs: spec.timeoutSeconds * 1000,
      killGraceMs: spec.killGraceSeconds * 1000,
      maxOutputBytes: spec.maxOutputBytes,
    });
  };
}

/** A controlled environment: a few basics, the script's own values, and the variables it asked for. */
function scriptEnv(spec: ScriptSpec, dataDir: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LANG: 'C.UTF-8',
    SUPERSCRIPT_SCRIPT: spec.name,
    SUPERSCRIPT_DATA_DIR: path.resolve(dataDir),
  };
  for (const name of spec.passEnv) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...spec.env };
}
