// The script registry: which scripts exist, how their arguments are checked, how long they may run; and the
// schedules the same file declares.
// Loaded from a JSON file and validated with zod, so a bad field is named at start-up, not at run time.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, InvalidRequestError, RunStateError } from '../errors.js';
import { NotifyTargetsSchema, type NotifyTarget } from '../notify/events.js';
import { EXEC_SCRIPT, type RunPolicy } from '../shared/runs.js';
import { SCRIPT_NAME, type ArgValue, type ScriptArgs } from '../shared/schemas/runs.js';
import { ArgSpec, Pattern } from '../shared/schemas/scripts.js';
import { DeclaredSchedule, ScheduleName, type ScheduleRequest } from '../shared/schemas/schedules.js';

/** Defaults a script gets unless its registry entry says otherwise; `exec` commands get them too. */
export const DEFAULT_KILL_GRACE_SECONDS = 5;
export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024;
// Control characters would let an argument forge log lines or, for NUL, fail the spawn itself.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const RATE_HELP =
  'ratePerSecond is how many times a second the script may start: a number above 0 and at most 1000, e.g. 20, or 0.5 for one start every 2 seconds';

const ScriptSpecSchema = z
  .object({
    path: z.string().min(1),
    description: z.string().optional(),
    args: z.array(ArgSpec).default([]),
    /**
     * Forms the key from the arguments when a request carries none, e.g. "tenant-{tenantId}". Keys of that
     * form belong to this script: no other script (nor `exec`) may use one, so none can take or probe them.
     */
    key: z
      .string()
      .min(1)
      .refine(
        (t) => !t.startsWith('{'),
        'a key template starts with text of its own, e.g. "tenant-{tenantId}"',
      )
      .optional(),
    timeoutSeconds: z.number().positive().max(86_400).default(300),
    killGraceSeconds: z.number().positive().max(600).default(DEFAULT_KILL_GRACE_SECONDS),
    heartbeatTimeoutSeconds: z.number().positive().max(3600).default(10),
    maxOutputBytes: z
      .number()
      .int()
      .positive()
      .max(512 * 1024)
      .default(DEFAULT_MAX_OUTPUT_BYTES),
    env: z.record(z.string(), z.string()).default({}),
    /**
     * Regular expressions for secrets the script may print: every match is replaced by "[redacted]" in the
     * output SuperScript keeps (the run's result in Temporal and in the key store, and so every replay).
     */
    redact: z.array(Pattern).default([]),
    /** Worker environment variables passed through to the script by name. */
    passEnv: z.array(z.string()).default([]),
    /**
     * Runs of this script at once, across all workers, batches and single requests (a semaphore workflow
     * per capped script hands out permits). Default: no cap, and no semaphore.
     */
    maxConcurrent: z.number().int().positive().max(10_000).optional(),
    /**
     * Starts of this script a second, across all workers, batches and single requests, cron lines' too (each start
     * takes a slot of one schedule in the key store, just before the process starts). Default: no limit.
     */
    ratePerSecond: z.number(RATE_HELP).positive(RATE_HELP).max(1000, RATE_HELP).optional(),
    /** Declares the script safe to run more than once; without it a run is never retried automatically. */
    retry: z
      .object({
        maximumAttempts: z.number().int().min(2).max(100),
        initialIntervalSeconds: z.number().positive().default(1),
      })
      .strict()
      .optional(),
    /**
     * A read-only command, run with the script's arguments, that asks the outside world whether a run did
     * its work: exit 0 done, 1 not done, anything else cannot tell. Used to resolve unknown outcomes.
     */
    verify: z
      .object({
        path: z.string().min(1),
        timeoutSeconds: z.number().positive().max(3600).default(30),
      })
      .strict()
      .optional(),
  })
  .strict();

const RegistryFileSchema = z
  .object({
    scripts: z.record(
      z
        .string()
        .regex(SCRIPT_NAME, 'script names are lowercase letters, digits, - and _')
        .refine((name) => name !== EXEC_SCRIPT, `"${EXEC_SCRIPT}" is reserved for superscript exec`),
      ScriptSpecSchema,
    ),
    /** Where notifications go (see src/notify); none when left out. */
    notify: NotifyTargetsSchema.default([]),
    /** Schedules the API keeps in Temporal as declared here (docs/schedules.md), by name. */
    schedules: z.record(ScheduleName, DeclaredSchedule).default({}),
  })
  .strict();

export interface ScriptSpec extends Omit<z.infer<typeof ScriptSpecSchema>, 'path' | 'redact'> {
  name: string;
  /** Absolute path of the executable. */
  path: string;
  /** The `redact` patterns, compiled to replace every match. */
  redact: RegExp[];
}

export class ScriptRegistry {
  private readonly scripts: Map<string, ScriptSpec>;
  /** Each key template as the shape of the keys it makes, with the script it belongs to. */
  private readonly keyShapes: { script: string; shape: RegExp }[];

  constructor(
    scripts: ScriptSpec[],
    /** The config file's notification targets. */
    readonly notify: readonly NotifyTarget[] = [],
    /** The schedules the config file declares; checked against the scripts when the API applies them. */
    readonly schedules: readonly ScheduleRequest[] = [],
  ) {
    this.scripts = new Map(scripts.map((s) => [s.name, s]));
    this.keyShapes = scripts.flatMap((s) => (s.key ? [{ script: s.name, shape: keyShape(s.key) }] : []));
  }

  names(): string[] {
    return [...this.scripts.keys()];
  }

  /** The script whose key template makes keys of this form, if one does. */
  ownerOfKey(key: string): string | undefined {
    return this.keyShapes.find((k) => k.shape.test(key))?.script;
  }

  /**
   * Refuses a key that belongs to another script's template: `script` (or `exec`) could otherwise take a
   * key the other script will need, or learn whether it was used. Said the same whether it was or not.
   */
  assertKeyFor(script: string, key: string, field = 'key'): void {
    const owner = this.ownerOfKey(key);
    if (owner === undefined || owner === script) return;
    const template = this.scripts.get(owner)?.key;
    throw new InvalidRequestError(
      `Key "${key}" has the form of another script's keys (${template}), which belong to that script alone. Choose a key of another form.`,
      field,
    );
  }

  get(name: string): ScriptSpec {
    const spec = this.scripts.get(name);
    if (!spec) {
      throw new InvalidRequestError(
        `Unknown script "${name}". Registered scripts: ${this.names().join(', ') || '(none)'}.`,
        'script',
      );
    }
    return spec;
  }
}

/** Loads and validates a registry file; script paths are resolved against the file's folder. */
export function loadRegistry(file: string): ScriptRegistry {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Cannot read the script registry ${file}: ${(err as Error).message}`);
  }
  const parsed = RegistryFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new ConfigError(`Invalid script registry ${file}: ${where}: ${issue?.message}`);
  }
  const dir = path.dirname(path.resolve(file));
  const scripts = Object.entries(parsed.data.scripts).map(([name, spec]) => {
    for (const ref of templateFields(spec.key ?? '')) {
      if (!spec.args.some((a) => a.name === ref)) {
        throw new ConfigError(
          `Invalid script registry ${file}: scripts.${name}.key names unknown argument "${ref}"`,
        );
      }
    }
    return {
      ...spec,
      name,
      path: path.resolve(dir, spec.path),
      verify: spec.verify && { ...spec.verify, path: path.resolve(dir, spec.verify.path) },
      redact: spec.redact.map((source) => new RegExp(source, 'g')),
    };
  });
  const templated = scripts.filter((s) => s.key);
  for (const a of templated) {
    for (const b of templated) {
      if (a !== b && keyShape(a.key!).test(sampleKey(b.key!))) {
        throw new ConfigError(
          `Invalid script registry ${file}: scripts.${a.name}.key "${a.key}" can make the same keys as scripts.${b.name}.key "${b.key}"; give each script's keys a form of their own, so every key belongs to one script.`,
        );
      }
    }
  }
  for (const [i, target] of parsed.data.notify.entries()) {
    const unknown = target.scripts?.find((name) => !scripts.some((s) => s.name === name));
    if (unknown !== undefined) {
      throw new ConfigError(
        `Invalid script registry ${file}: notify.${i}.scripts names "${unknown}", which is not a script of this file.`,
      );
    }
  }
  const schedules = Object.entries(parsed.data.schedules).map(([name, s]) => ({ ...s, name }));
  return new ScriptRegistry(scripts, parsed.data.notify, schedules);
}

/**
 * Checks request arguments against a script's declared arguments and returns them in declared order,
 * which makes them canonical for fingerprints. Unknown, missing and mistyped arguments are refused.
 *
 * Code, not a zod schema built from the registry: the API's schemas are fixed when its routes are made and
 * describe the shape every script shares (`args` is an object), while what each script takes is the
 * registry's, which the worker also checks against its own copy; here the arguments come out in declared
 * order (the fingerprint), and each refusal names the script and what it takes.
 */
export function validateArgs(spec: ScriptSpec, input: unknown): ScriptArgs {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError(`"args" must be an object of ${describeArgs(spec)}.`, 'args');
  }
  const given = input as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !spec.args.some((a) => a.name === k));
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      `Unknown argument "${unknown[0]}" for script "${spec.name}"; it takes ${describeArgs(spec)}.`,
      `args.${unknown[0]}`,
    );
  }
  const out: ScriptArgs = {};
  for (const arg of spec.args) {
    out[arg.name] = checkArg(spec.name, arg, given[arg.name]);
  }
  return out;
}

function checkArg(script: string, arg: ArgSpec, value: unknown): ArgValue {
  const field = `args.${arg.name}`;
  const fail = (why: string): never => {
    throw new InvalidRequestError(`Argument "${arg.name}" of script "${script}" ${why}.`, field);
  };
  if (value === undefined || value === null) return fail('is required');
  switch (arg.type) {
    case 'string': {
      if (typeof value !== 'string') return fail(`must be a string, not ${typeName(value)}`);
      if (value.length === 0) return fail('must not be empty');
      if (value.length > arg.maxLength) return fail(`is longer than ${arg.maxLength} characters`);
      if (CONTROL_CHARS.test(value)) return fail('must not contain control characters');
      if (value.startsWith('-') && !arg.allowLeadingDash)
        return fail('must not start with "-", which the script could take for an option');
      if (arg.enum && !arg.enum.includes(value)) return fail(`must be one of ${arg.enum.join(', ')}`);
      if (arg.pattern && !wholeMatch(arg.pattern).test(value)) return fail(`must match ${arg.pattern}`);
      return value;
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return fail(`must be a number, not ${typeName(value)}`);
      if (arg.integer && !Number.isInteger(value)) return fail('must be a whole number');
      if (arg.minimum !== undefined && value < arg.minimum) return fail(`must be at least ${arg.minimum}`);
      if (arg.maximum !== undefined && value > arg.maximum) return fail(`must be at most ${arg.maximum}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return fail(`must be true or false, not ${typeName(value)}`);
      return value;
  }
}

/** Parses command-line strings into typed arguments, then validates them like any request. */
export function argsFromStrings(spec: ScriptSpec, values: Record<string, string>): ScriptArgs {
  const typed: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    const arg = spec.args.find((a) => a.name === name);
    // What is not a number stays a string, so the error says what was given.
    if (arg?.type === 'number')
      typed[name] = raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
    else if (arg?.type === 'boolean') typed[name] = raw === 'true' ? true : raw === 'false' ? false : raw;
    else typed[name] = raw;
  }
  return validateArgs(spec, typed);
}

/** The script's argv: argument values in declared order. Never a shell string. */
export function scriptArgv(spec: ScriptSpec, args: ScriptArgs): string[] {
  return spec.args.map((a) => String(args[a.name]));
}

/** The key the script's template forms from the arguments, if it has one. */
export function keyFromTemplate(spec: ScriptSpec, args: ScriptArgs): string | undefined {
  return spec.key === undefined ? undefined : fillTemplate(spec.key, args);
}

/**
 * A key template with each `{name}` replaced by its value: how every templated key is formed (a script's
 * from its arguments, a schedule's from its arguments and the fire's time).
 */
export function fillTemplate(template: string, values: Record<string, ArgValue>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => String(values[name]));
}

/** The `{name}` fields a key template refers to. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '');
}

/**
 * The key a request runs under: the template's when the script has one (workers run it under no other, so
 * another key is refused here, before anything starts), else the key the request names.
 */
export function requestKey(spec: ScriptSpec, args: ScriptArgs, requested: unknown): unknown {
  const formed = keyFromTemplate(spec, args);
  if (formed !== undefined && requested !== undefined && requested !== formed) {
    throw new InvalidRequestError(
      `Script "${spec.name}" runs under the key its registry forms from its arguments, "${formed}", not "${String(requested)}": leave the key out.`,
      'key',
    );
  }
  return formed ?? requested;
}

/**
 * The activity's start-to-close timeout for a script that may run `timeoutSeconds`. The runner enforces the
 * timeout itself; this backstop, a minute later, only catches a worker that hung.
 */
export function backstopTimeoutMs(timeoutSeconds: number, killGraceSeconds: number): number {
  return (timeoutSeconds + killGraceSeconds + 60) * 1000;
}

/** The activity options a script's registry entry asks for. */
export function runPolicy(spec: ScriptSpec): RunPolicy {
  return {
    startToCloseTimeoutMs: backstopTimeoutMs(spec.timeoutSeconds, spec.killGraceSeconds),
    heartbeatTimeoutMs: spec.heartbeatTimeoutSeconds * 1000,
    maximumAttempts: spec.retry?.maximumAttempts ?? 1,
    initialRetryIntervalMs: (spec.retry?.initialIntervalSeconds ?? 1) * 1000,
    ...(spec.maxConcurrent ? { maxConcurrent: spec.maxConcurrent } : {}),
  };
}

/** The script's verify command; refused when it declares none. */
export function verifyOf(spec: ScriptSpec): NonNullable<ScriptSpec['verify']> {
  if (spec.verify) return spec.verify;
  throw new RunStateError(
    `Script "${spec.name}" declares no verify command, so SuperScript cannot ask whether a run did its work. Add "verify" to its registry entry, or check by hand and then retry or leave the run.`,
  );
}

/** The activity options of a script's verify command: at most once, like the script, with its own timeout. */
export function verifyPolicy(spec: ScriptSpec): RunPolicy {
  const verify = verifyOf(spec);
  return {
    startToCloseTimeoutMs: backstopTimeoutMs(verify.timeoutSeconds, spec.killGraceSeconds),
    heartbeatTimeoutMs: spec.heartbeatTimeoutSeconds * 1000,
    maximumAttempts: 1,
  };
}

/** The keys a template can make: its text as is, each `{argument}` standing for any non-empty text. */
function keyShape(template: string): RegExp {
  const parts = template.split(/\{[A-Za-z_][A-Za-z0-9_]*\}/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 's');
}

/** A key the template makes (each argument `x`), to find templates whose keys overlap at load. */
function sampleKey(template: string): string {
  return template.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x');
}

function describeArgs(spec: ScriptSpec): string {
  if (spec.args.length === 0) return 'no arguments';
  return spec.args.map((a) => `${a.name} (${a.type})`).join(', ');
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

/** A registry pattern as a whole-value match, so "[a-z]+" does not accept "x;rm". */
function wholeMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}
