// SuperScript's own settings, from environment variables (CLI flags override some of them).
// Temporal connection settings are Temporal's standard ones; see temporal-connection.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** The project root, where the bundled registry and example scripts live. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * How the embedded dev server keeps its SQLite file. Exactly-once rests on the server remembering keys,
 * so the default survives power loss; the others trade that for speed (see docs/guarantee.md, "Durability of the embedded default").
 */
export const DURABILITY = ['full', 'normal', 'off', 'memory'] as const;
export type Durability = (typeof DURABILITY)[number];

const port = z.coerce.number().int().min(1).max(65_535);

const SettingsSchema = z.object({
  SUPERSCRIPT_DATA_DIR: z.string().min(1).default('.superscript'),
  SUPERSCRIPT_CONFIG: z.string().min(1).optional(),
  SUPERSCRIPT_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'a task queue name is letters, digits and . _ - only')
    .default('superscript'),
  /** Requests that may wait for a run's result at once; past it, the API answers 503. */
  SUPERSCRIPT_MAX_WAITS: z.coerce.number().int().min(1).default(1000),
  SUPERSCRIPT_API_HOST: z.string().min(1).default('127.0.0.1'),
  SUPERSCRIPT_API_PORT: port.default(8080),
  /** Where `superscript worker` serves /metrics; none unless set. The API serves it on its own port. */
  SUPERSCRIPT_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  SUPERSCRIPT_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** The API's bearer tokens (hashes); without it the API is open, which it may only be on loopback. */
  SUPERSCRIPT_TOKENS_FILE: z.string().min(1).optional(),
  /** Where the CLI's client commands reach the API; default from the API host and port. */
  SUPERSCRIPT_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The token the CLI's client commands send. */
  SUPERSCRIPT_TOKEN: z.string().min(1).optional(),
  SUPERSCRIPT_TEMPORAL_PORT: port.default(7233),
  SUPERSCRIPT_UI_PORT: port.default(8233),
  /** Temporal's Web UI, which the API links each run to; `superscript dev` sets its own dev server's. */
  SUPERSCRIPT_TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Where people reach the web UI (e.g. behind a proxy); notifications link to its pages. None: no links. */
  SUPERSCRIPT_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  SUPERSCRIPT_DURABILITY: z.enum(DURABILITY).default('full'),
  /** Extra `temporal server start-dev` arguments, space-separated, e.g. more --dynamic-config-value. */
  SUPERSCRIPT_DEV_SERVER_ARGS: z.string().default(''),
  /** How long a stopping worker lets running scripts finish before it cancels them. */
  SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).default(30),
  /** How long a request waits for a run's result before answering 202. */
  SUPERSCRIPT_WAIT_SECONDS: z.coerce.number().min(0).max(600).default(30),
  /** Warn when the namespace keeps closed runs' histories for less than this (keys are the key store's). */
  SUPERSCRIPT_MIN_RETENTION_DAYS: z.coerce.number().min(0).default(7),
  /**
   * The key store: `postgres://user:pass@host:port/db` (shared by every worker, API and `exec` of an
   * installation) or `sqlite:<path>` (processes on one machine). Default: the embedded default's own file,
   * `<data>/keys.sqlite`, only for `superscript dev` and processes using its dev server.
   */
  SUPERSCRIPT_KEY_STORE_URL: z
    .string()
    .regex(
      /^(postgres(ql)?:\/\/|sqlite:|file:)/,
      'a key store URL starts with postgres://, postgresql://, sqlite: or file:',
    )
    .optional(),
  /** Run only keys SuperScript's front door reserved: Temporal access alone then runs nothing. */
  SUPERSCRIPT_REQUIRE_RESERVATION: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** Keys that ended this many days ago are removed from the key store; none by default (kept forever). */
  SUPERSCRIPT_KEY_RETENTION_DAYS: z.coerce.number().positive().optional(),
  SUPERSCRIPT_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
});

export interface Settings {
  dataDir: string;
  registryFile: string;
  taskQueue: string;
  apiHost: string;
  apiPort: number;
  metricsHost: string;
  metricsPort?: number;
  tokensFile?: string;
  apiUrl: string;
  token?: string;
  temporalPort: number;
  uiPort: number;
  temporalUiUrl?: string;
  publicUrl?: string;
  durability: Durability;
  devServerArgs: string[];
  shutdownGraceMs: number;
  waitMs: number;
  maxWaits: number;
  minRetentionDays: number;
  logLevel: string;
  temporalCliPath?: string;
  keyStoreUrl?: string;
  requireReservation: boolean;
  keyRetentionDays?: number;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = SettingsSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid setting ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const s = parsed.data;
  return {
    dataDir: path.resolve(s.SUPERSCRIPT_DATA_DIR),
    registryFile: path.resolve(s.SUPERSCRIPT_CONFIG ?? defaultRegistryFile()),
    taskQueue: s.SUPERSCRIPT_TASK_QUEUE,
    apiHost: s.SUPERSCRIPT_API_HOST,
    apiPort: s.SUPERSCRIPT_API_PORT,
    metricsHost: s.SUPERSCRIPT_METRICS_HOST,
    metricsPort: s.SUPERSCRIPT_METRICS_PORT,
    tokensFile: s.SUPERSCRIPT_TOKENS_FILE && path.resolve(s.SUPERSCRIPT_TOKENS_FILE),
    apiUrl: s.SUPERSCRIPT_API_URL ?? `http://${urlHost(s.SUPERSCRIPT_API_HOST)}:${s.SUPERSCRIPT_API_PORT}`,
    token: s.SUPERSCRIPT_TOKEN,
    temporalPort: s.SUPERSCRIPT_TEMPORAL_PORT,
    uiPort: s.SUPERSCRIPT_UI_PORT,
    temporalUiUrl: s.SUPERSCRIPT_TEMPORAL_UI_URL,
    publicUrl: s.SUPERSCRIPT_PUBLIC_URL,
    durability: s.SUPERSCRIPT_DURABILITY,
    devServerArgs: s.SUPERSCRIPT_DEV_SERVER_ARGS.split(/\s+/).filter(Boolean),
    shutdownGraceMs: s.SUPERSCRIPT_SHUTDOWN_GRACE_SECONDS * 1000,
    waitMs: s.SUPERSCRIPT_WAIT_SECONDS * 1000,
    maxWaits: s.SUPERSCRIPT_MAX_WAITS,
    minRetentionDays: s.SUPERSCRIPT_MIN_RETENTION_DAYS,
    logLevel: s.SUPERSCRIPT_LOG_LEVEL,
    temporalCliPath: s.TEMPORAL_CLI_PATH,
    keyStoreUrl: s.SUPERSCRIPT_KEY_STORE_URL,
    requireReservation: s.SUPERSCRIPT_REQUIRE_RESERVATION,
    keyRetentionDays: s.SUPERSCRIPT_KEY_RETENTION_DAYS,
  };
}

/** `superscript.config.json` in the working directory if there is one, else the bundled example registry. */
function defaultRegistryFile(): string {
  const local = path.resolve('superscript.config.json');
  return existsSync(local) ? local : path.join(PACKAGE_ROOT, 'superscript.config.json');
}

/** A host as it goes in a URL: IPv6 addresses in brackets. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
