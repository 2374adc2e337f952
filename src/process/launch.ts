// How a registered script is launched: its argv from the validated arguments, a controlled environment,
// a working folder of its own, and the limits from its registry entry.
import path from 'node:path';
import { scriptArgv, verifyOf, type ScriptSpec } from '../config/scripts.js';
import type { ProcessSpec } from './spawn.js';
import type { ScriptArgs } from '../shared/schemas/runs.js';

/** A registered command's process, and the secrets to take out of the output that is kept. */
export type ScriptLaunch = ProcessSpec & { cwd: string; redact: readonly RegExp[] };

export function scriptProcess(spec: ScriptSpec, args: ScriptArgs, dataDir: string): ScriptLaunch {
  return {
    command: spec.path,
    args: scriptArgv(spec, args),
    cwd: scriptWorkDir(dataDir, spec.name),
    env: scriptEnv(spec, dataDir),
    timeoutMs: spec.timeoutSeconds * 1000,
    killGraceMs: spec.killGraceSeconds * 1000,
    maxOutputBytes: spec.maxOutputBytes,
    redact: spec.redact,
  };
}

/** The script's verify command: the script's argv, environment and limits, with its own timeout. */
export function verifyProcess(spec: ScriptSpec, args: ScriptArgs, dataDir: string): ScriptLaunch {
  const verify = verifyOf(spec);
  return {
    ...scriptProcess(spec, args, dataDir),
    command: verify.path,
    timeoutMs: verify.timeoutSeconds * 1000,
  };
}

/**
 * `<data>/work/<script>`: never the data folder itself, which holds the dev server's state (a script that
 * cleans its working folder must not wipe the record of which keys ran).
 */
function scriptWorkDir(dataDir: string, script: string): string {
  return path.join(path.resolve(dataDir), 'work', script);
}

/** A few basics, the script's own values, and the worker variables it asked for by name. */
function scriptEnv(spec: ScriptSpec, dataDir: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LANG: 'C.UTF-8',
  };
  for (const name of spec.passEnv) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...spec.env, SUPERSCRIPT_SCRIPT: spec.name, SUPERSCRIPT_DATA_DIR: path.resolve(dataDir) };
}
