// The `superscript` command line.
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DURABILITY, type Settings } from '../config/settings.js';
import { ensureTemporalCli } from '../devserver/temporal-cli.js';
import { InvalidRequestError, KeyConflictError, SuperScriptError } from '../errors.js';
import { OrderStatus } from '../shared/schemas/batches.js';
import type { BatchOptions } from './commands/batches.js';
import { CLUSTER_DEFAULTS, type ClusterUpOptions } from './commands/cluster-options.js';
import { loadContext, type Context, type ContextOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import type { CreateOptions } from './commands/schedules.js';

// A command's module loads when the command runs, so a client command such as `pay` loads neither the
// worker, the HTTP server nor the cluster, and `worker` does not load the HTTP API.
const runs = () => import('./commands/runs.js');
const batches = () => import('./commands/batches.js');
const decisions = () => import('./commands/decisions.js');
const tokens = () => import('./commands/tokens.js');
const keys = () => import('./commands/keys.js');
const schedules = () => import('./commands/schedules.js');
const clusterCommands = () => import('./commands/cluster.js');
const notify = () => import('./commands/notify.js');

const program = new Command('superscript')
  .description('Run non-idempotent scripts exactly once per idempotency key, on Temporal.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.error));

const number = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative number.`);
  return n;
};
const jsonOption = new Option('--json', 'print the run as JSON');
const hostOption = new Option(
  '--host <host>',
  'HTTP API address (SUPERSCRIPT_API_HOST); other than loopback, it needs SUPERSCRIPT_TOKENS_FILE',
);
const waitOption = new Option(
  '--wait <seconds>',
  'give up waiting after this long (exit 123); default: until it ends',
).argParser(number('--wait'));

/** Runs a command and exits with its code; SuperScript's own errors exit 125 (or 120 for a key conflict). */
function action<A extends unknown[]>(
  fn: (ctx: Context, ...args: A) => Promise<number | void>,
  overrides?: (...args: A) => Partial<Settings>,
  contextOptions?: ContextOptions,
) {
  return async (...args: A) => {
    try {
      const code = await fn(await loadContext(overrides?.(...args), contextOptions), ...args);
      // A long-running command returns nothing; a failure it saw may have set the code already.
      if (code !== undefined) process.exitCode = code;
    } catch (err) {
      if (!(err instanceof SuperScriptError)) throw err;
      process.stderr.write(`superscript: ${err.message}\n`);
      process.exitCode = err instanceof KeyConflictError ? EXIT.keyConflict : EXIT.error;
    }
  };
}

program
  .command('dev')
  .description('the embedded default: Temporal dev server + worker + HTTP API, until Ctrl-C')
  .option('--data-dir <dir>', 'where the ledger and the server state live (SUPERSCRIPT_DATA_DIR)')
  .addOption(hostOption)
  .option('--port <port>', 'HTTP API port (SUPERSCRIPT_API_PORT)', number('--port'))
  .option(
    '--temporal-port <port>',
    'Temporal gRPC port (SUPERSCRIPT_TEMPORAL_PORT)',
    number('--temporal-port'),
  )
  .option('--ui-port <port>', 'Temporal Web UI port (SUPERSCRIPT_UI_PORT)', number('--ui-port'))
  .addOption(
    new Option('--durability <level>', 'how the server state is kept (SUPERSCRIPT_DURABILITY)').choices(
      DURABILITY,
    ),
  )
  .action(
    action(
      async (ctx) => (await import('./commands/dev.js')).dev(ctx),
      (o: {
        dataDir?: string;
        host?: string;
        port?: number;
        temporalPort?: number;
        uiPort?: number;
        durability?: Settings['durability'];
      }) => ({
        ...(o.dataDir ? { dataDir: path.resolve(o.dataDir) } : {}),
        ...(o.host !== undefined ? { apiHost: o.host } : {}),
        ...(o.port !== undefined ? { apiPort: o.port } : {}),
        ...(o.temporalPort !== undefined ? { temporalPort: o.temporalPort } : {}),
        ...(o.uiPort !== undefined ? { uiPort: o.uiPort } : {}),
        ...(o.durability ? { durability: o.durability } : {}),
      }),
      // The API's /metrics includes the SDK's series of the worker beside it.
      { worker: { metrics: () => true } },
    ),
  );

program
  .command('worker')
  .description('run a worker against TEMPORAL_ADDRESS (production)')
  .option(
    '--metrics-port <port>',
    'serve Prometheus metrics on this port (SUPERSCRIPT_METRICS_PORT); 0 picks a free one, named in the log',
    number('--metrics-port'),
  )
  .action(
    action(
      async (ctx) => (await import('./commands/worker.js')).worker(ctx),
      (o: { metricsPort?: number }) => (o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
      { worker: { metrics: (settings) => settings.metricsPort !== undefined } },
    ),
  );

program
  .command('api')
  .description('serve the HTTP API against TEMPORAL_ADDRESS (production)')
  .addOption(hostOption)
  .option('--port <port>', 'port (SUPERSCRIPT_API_PORT)', number('--port'))
  .action(
    action(
      async (ctx) => (await import('./commands/api.js')).api(ctx),
      (o: { host?: string; port?: number }) => ({
        ...(o.host !== undefined ? { apiHost: o.host } : {}),
        ...(o.port !== undefined ? { apiPort: o.port } : {}),
      }),
    ),
  );

const cluster = program
  .command('cluster')
  .description(
    'a real Temporal cluster on this machine: PostgreSQL, the full Temporal server, workers, APIs',
  );

const count = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${what} must be a whole number, 1 or more.`);
  return n;
};

cluster
  .command('up')
  .description('start it (building the server once) and keep it running until Ctrl-C or `cluster down`')
  .option('--data-dir <dir>', 'its data: database, server config, logs, ledger', CLUSTER_DEFAULTS.dataDir)
  .option('--workers <n>', 'worker processes', count('--workers'), CLUSTER_DEFAULTS.workers)
  .option('--apis <n>', 'API processes, on consecutive ports', count('--apis'), CLUSTER_DEFAULTS.apis)
  .option('--api-port <port>', "the first API's port", number('--api-port'), CLUSTER_DEFAULTS.apiPort)
  .option(
    '--temporal-port <port>',
    'Temporal frontend gRPC port',
    number('--temporal-port'),
    CLUSTER_DEFAULTS.temporalPort,
  )
  .option(
    '--postgres-port <port>',
    'PostgreSQL port',
    number('--postgres-port'),
    CLUSTER_DEFAULTS.postgresPort,
  )
  .option(
    '--free-ports',
    "every server and PostgreSQL listener on a free port; without it the server's other listeners are fixed (6933-6939, 7234-7239)",
  )
  .option('--namespace <name>', 'Temporal namespace', CLUSTER_DEFAULTS.namespace)
  .option(
    '--retention-days <days>',
    "how long Temporal keeps a closed run's history (keys are kept by the key store)",
    count('--retention-days'),
    CLUSTER_DEFAULTS.retentionDays,
  )
  .action(action(async (ctx, o: ClusterUpOptions) => (await clusterCommands()).clusterUp(ctx, o)));

cluster
  .command('down')
  .description('stop the cluster `cluster up` runs from the data folder, in order')
  .option('--data-dir <dir>', 'the folder `cluster up` was given', CLUSTER_DEFAULTS.dataDir)
  .action(async (o: { dataDir: string }) => {
    process.exitCode = await (await clusterCommands()).clusterDown(o.dataDir);
  });

program
  .command('pay')
  .description('collect the payment for an order, exactly once')
  .argument('<orderId>')
  .argument('<amount>')
  .addOption(jsonOption)
  .addOption(waitOption)
  .action(
    action(async (ctx, orderId: string, amount: string, o: { json?: boolean; wait?: number }) =>
      (await runs()).pay(ctx, orderId, amount, o),
    ),
  );

program
  .command('run')
  .description('run a registered script once for a key: superscript run SCRIPT name=value ... --key K')
  .argument('<script>')
  .argument('[args...]', 'arguments as name=value')
  .option('--key <key>', 'idempotency key (required unless the script forms one)')
  .addOption(jsonOption)
  .addOption(waitOption)
  .action(
    action(async (ctx, script: string, args: string[], o: { key?: string; json?: boolean; wait?: number }) =>
      (await runs()).run(ctx, script, args, o),
    ),
  );

program
  .command('status')
  .description('show a run (or batch) by workflow ID')
  .argument('<workflowId>')
  .addOption(jsonOption)
  .action(action(async (ctx, id: string, o: { json?: boolean }) => (await runs()).status(ctx, id, o)));

program
  .command('runs')
  .description('list runs, newest first')
  .addOption(
    new Option('--status <status>').choices([
      'running',
      'succeeded',
      'failed',
      'cancelled',
      'terminated',
      'timed_out',
      'outcome_unknown',
    ]),
  )
  .option('--script <name>')
  .option('--since <time>', 'ISO 8601 start time lower bound')
  .option('--until <time>', 'ISO 8601 start time upper bound')
  .option('--limit <n>', 'at most this many (default 100)')
  .addOption(jsonOption)
  .action(
    action(
      async (
        ctx,
        o: {
          status?: string;
          script?: string;
          since?: string;
          until?: string;
          limit?: string;
          json?: boolean;
        },
      ) => (await runs()).list(ctx, o, o),
    ),
  );

program
  .command('retry')
  .description('explicitly run again a run that failed, timed out, was cancelled or has an unknown outcome')
  .argument('<workflowId>')
  .option('--reason <text>', 'recorded in the new run, with the name of the token that retried it')
  .addOption(jsonOption)
  .addOption(waitOption)
  .action(
    action(async (ctx, id: string, o: { reason?: string; json?: boolean; wait?: number }) =>
      (await runs()).retry(ctx, id, o),
    ),
  );

program
  .command('resolve')
  .description(
    "ask the script's verify command whether a run with an unknown outcome did its work, and record the answer",
  )
  .argument('<workflowId>')
  .addOption(jsonOption)
  .addOption(waitOption)
  .action(
    action(async (ctx, id: string, o: { json?: boolean; wait?: number }) =>
      (await runs()).resolve(ctx, id, o),
    ),
  );

program
  .command('cancel')
  .description("cancel a running run: its script's whole process group is ended")
  .argument('<workflowId>')
  .action(action(async (ctx, id: string) => (await runs()).cancel(ctx, id)));

program
  .command('batch')
  .description(
    "run a file of rows as one batch (CSV with a header of the script's arguments and optionally key, JSON lines or a JSON array; by default orders, orderId,amount), and follow it to its end",
  )
  .argument('[file]')
  .option('--script <name>', 'the registered script every row runs (default: the payment script)')
  .option('--batch-id <id>', 'the batch ID (default: one derived from the rows, so the same file attaches)')
  .option(
    '--max-concurrent <n>',
    'rows in flight at once (1 to 1000; default 50)',
    number('--max-concurrent'),
  )
  .option('--plan', 'show which rows are new, already done, in flight, in conflict or bad; start nothing')
  .option('--attach <batchId>', 'follow an existing batch to its end instead of starting one')
  .option('--json', 'print the batch (or the plan) as JSON')
  .addOption(waitOption)
  .action(
    action(async (ctx, file: string | undefined, o: BatchOptions) => (await batches()).batch(ctx, file, o)),
  );

program
  .command('batch-orders')
  .description('every row (order) of a batch with its status, one line each (all pages)')
  .argument('<batchId>')
  .addOption(new Option('--status <status>').choices(OrderStatus.options))
  .option('--json', 'one JSON line per order')
  .action(
    action(async (ctx, id: string, o: { status?: string; json?: boolean }) =>
      (await batches()).batchOrders(ctx, id, o),
    ),
  );

program
  .command('batch-cancel')
  .description('stop a batch from starting more rows')
  .argument('<batchId>')
  .option('--kill-running', 'also cancel the runs it started that are still running')
  .action(
    action(async (ctx, id: string, o: { killRunning?: boolean }) =>
      (await batches()).batchCancel(ctx, id, o),
    ),
  );

for (const [command, act, description] of [
  ['batch-retry', 'retry', 'retry every failed row of an ended batch (never a conflict, never an unknown)'],
  [
    'batch-resolve',
    'resolve',
    "resolve every unknown order of an ended batch with the script's verify command",
  ],
] as const)
  program
    .command(command)
    .description(`${description}; asking twice does it once`)
    .argument('<batchId>')
    .option('--json', 'print the decision as JSON')
    .addOption(waitOption)
    .action(
      action(async (ctx, id: string, o: { wait?: number; json?: boolean }) =>
        (await decisions()).batchDecision(ctx, id, act, o),
      ),
    );

const token = program
  .command('token')
  .description('API tokens in SUPERSCRIPT_TOKENS_FILE (the file keeps only their hashes)');
token
  .command('create')
  .description('create a token and print it, once, alone on standard output')
  .requiredOption('--name <name>', 'a unique name; recorded as who retried a run')
  .requiredOption('--scope <scope...>', 'run:<script>, run:*, read, retry, cancel, schedule, admin')
  .action(action(async (ctx, o: { name: string; scope: string[] }) => (await tokens()).tokenCreate(ctx, o)));
token
  .command('list')
  .description('names, creation times, revocations and scopes (never the tokens or hashes)')
  .action(action(async (ctx) => (await tokens()).tokenList(ctx)));
token
  .command('revoke')
  .description('revoke a token; a running API refuses it from its next request on')
  .argument('<name>')
  .action(action(async (ctx, name: string) => (await tokens()).tokenRevoke(ctx, name)));

const keysCommand = program
  .command('keys')
  .description('the key store: a key and its history, removing old keys, export, import, backup and restore');
keysCommand
  .command('show <key>')
  .description("a key's record and its history of claims, retries and resolves (through the API)")
  .addOption(jsonOption)
  .action(action(async (ctx, key: string, o: { json?: boolean }) => (await keys()).keysShow(ctx, key, o)));
keysCommand
  .command('prune')
  .description('remove the keys whose runs ended before DATE (through the API; needs admin)')
  .requiredOption('--before <date>', 'an ISO 8601 time, e.g. 2026-01-01')
  .action(action(async (ctx, o: { before: string }) => (await keys()).keysPrune(ctx, o)));
keysCommand
  .command('export')
  .description('every key of the installation with its history, one JSON line each (a backup)')
  .option('--out <file>', 'write here (mode 0600) instead of standard output')
  .action(action(async (ctx, o: { out?: string }) => (await keys()).keysExport(ctx, o)));
keysCommand
  .command('import <file>')
  .description('add the keys of an export that the store lacks; --restore then refills it from Temporal')
  .option('--restore', 'restoring a backup: workers claim nothing until the store is refilled from Temporal')
  .action(
    action(async (ctx, file: string, o: { restore?: boolean }) => (await keys()).keysImport(ctx, file, o)),
  );
keysCommand
  .command('refill')
  .description("fill the store again from Temporal's records (after restoring a copy of its database)")
  .action(action(async (ctx) => (await keys()).keysRefill(ctx)));

const scheduleCommand = program
  .command('schedule')
  .description(
    'schedules: each fire runs a script once, under a key made from the fire time (docs/schedules.md)',
  );
const scheduleJson = new Option('--json', 'print the schedule as JSON');
scheduleCommand
  .command('create <name>')
  .description('fire SCRIPT on a cron expression or an interval (needs the schedule scope and run:SCRIPT)')
  .requiredOption('--script <script>')
  .option('--cron <expr>', 'a cron expression, e.g. "0 3 * * *"')
  .option('--every <duration>', 'an interval, e.g. 30s, 5m, 1h')
  .option('--arg <name=value...>', "the script's arguments")
  .option('--key <template>', 'the key template (default NAME-{scheduledTime}, the fire time in UTC)')
  .addOption(
    new Option('--overlap <policy>', 'a fire while the last still runs').choices([
      'skip',
      'buffer-one',
      'allow-all',
    ]),
  )
  .option('--catch-up-window <duration>', 'how late a missed fire may still run (default 1m)')
  .option('--timezone <tz>', 'IANA time zone of the cron expression (default UTC)')
  .option('--note <text>')
  .addOption(scheduleJson)
  .action(action(async (ctx, name: string, o: CreateOptions) => (await schedules()).create(ctx, name, o)));
scheduleCommand
  .command('list')
  .description('the schedules, each with its next fire and skipped fires')
  .addOption(scheduleJson)
  .action(action(async (ctx, o: { json?: boolean }) => (await schedules()).list(ctx, o)));
scheduleCommand
  .command('describe <name>')
  .description('a schedule: its timing, next fires, last fires with their keys, skipped and missed fires')
  .addOption(scheduleJson)
  .action(
    action(async (ctx, name: string, o: { json?: boolean }) => (await schedules()).describe(ctx, name, o)),
  );
for (const [verb, paused] of [
  ['pause', true],
  ['unpause', false],
] as const) {
  scheduleCommand
    .command(`${verb} <name>`)
    .description(`${verb} a schedule, with a note saying why`)
    .option('--note <text>')
    .addOption(scheduleJson)
    .action(
      action(async (ctx, name: string, o: { note?: string; json?: boolean }) =>
        (await schedules()).pause(ctx, name, paused, o),
      ),
    );
}
scheduleCommand
  .command('trigger <name>')
  .description('fire a schedule now')
  .addOption(scheduleJson)
  .action(
    action(async (ctx, name: string, o: { json?: boolean }) => (await schedules()).trigger(ctx, name, o)),
  );
scheduleCommand
  .command('backfill <name>')
  .description('take the fires a schedule had between two times; fires that ran are not run again')
  .requiredOption('--from <time>', 'an ISO 8601 time')
  .requiredOption('--to <time>', 'an ISO 8601 time')
  .addOption(scheduleJson)
  .action(
    action(async (ctx, name: string, o: { from: string; to: string; json?: boolean }) =>
      (await schedules()).backfill(ctx, name, o),
    ),
  );
scheduleCommand
  .command('delete <name>')
  .description('delete a schedule; its runs and keys stay')
  .action(action(async (ctx, name: string) => (await schedules()).remove(ctx, name)));

program
  .command('notify')
  .description('notification targets (the config file\'s "notify" list)')
  .command('test <name>')
  .description('send target NAME a test event through the outbox, and wait for a worker to deliver it')
  .addOption(
    new Option('--wait <seconds>', 'give up waiting after this long (exit 125; it stays queued)')
      .argParser(number('--wait'))
      .default(30),
  )
  .action(
    action(async (ctx, name: string, o: { wait: number }) => (await notify()).notifyTest(ctx, name, o)),
  );

program
  .command('exec')
  .description('run COMMAND once per key, here; a repeat replays its output and exit code')
  .requiredOption('--key <key>', 'idempotency key')
  .option('--name <name>', 'a name for the command (default: its file name); part of what the key stands for')
  .option('--timeout <seconds>', 'end the command after this long', number('--timeout'), 3600)
  .option(
    '--heartbeat-timeout <seconds>',
    'declare the outcome unknown if this process is silent this long',
    number('--heartbeat-timeout'),
    10,
  )
  .option('--retry', 'run again if the last run for this key failed, timed out, was cancelled or is unknown')
  .argument('<command...>', 'the command and its arguments, after --')
  .action(
    action(
      async (
        ctx,
        argv: string[],
        o: { key: string; name?: string; timeout: number; heartbeatTimeout: number; retry?: boolean },
      ) => (await import('./commands/exec.js')).exec(ctx, argv, o),
      // The terminal belongs to the command: only SuperScript's own errors, unless asked for more.
      (..._args: unknown[]) => ({ logLevel: process.env.SUPERSCRIPT_LOG_LEVEL ?? 'error' }),
      { worker: { metrics: () => false } },
    ),
  );

program
  .command('setup')
  .description('find or build the Temporal CLI (done on first use anyway)')
  .action(async () => {
    const cli = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
    process.stdout.write(`Temporal CLI: ${cli}\n`);
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(
    `superscript: ${err instanceof InvalidRequestError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(EXIT.error);
});
