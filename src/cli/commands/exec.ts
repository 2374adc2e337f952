// `superscript exec --key K -- command args...`: exactly once as a command prefix, for cron lines and CI.
//
// The command runs here, in this process, never on a shared worker: this process hosts the activity of
// its own run on a private task queue, and that activity runs only the argv this process was given.
// The run's workflow goes to `<task queue>-exec`, polled by every `exec` process, so if this process dies
// mid-command, the next `exec` of the key settles the run (as outcome_unknown) instead of waiting forever.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Context as ActivityContext } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { connectClient, connectWorker } from '../../config/temporal-connection.js';
import { executeInActivity, refusal } from '../../activities/process-activity.js';
import type { RunActivityInput } from '../../activities/types.js';
import {
  DEFAULT_KILL_GRACE_SECONDS,
  DEFAULT_MAX_OUTPUT_BYTES,
  backstopTimeoutMs,
} from '../../config/scripts.js';
import { validateKey } from '../../runs/keys.js';
import { execRequest } from '../../runs/requests.js';
import { KeyGuard } from '../../keystore/guard.js';
import { RunService } from '../../runs/service.js';
import { workflowBundle } from '../../worker/worker.js';
import { execTaskQueue } from '../../shared/ids.js';
import { EXEC_SCRIPT, canonicalJson } from '../../shared/runs.js';
import { WorkflowTypes } from '../../shared/workflow-types.js';
import { openKeys } from '../../stack/key-store.js';
import { externalTemporal } from '../../stack/temporal.js';
import type { Context } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { forTerminal } from '../terminal.js';
import type { RunResult } from '../../shared/schemas/runs.js';

const EXEC_PICKUP_TIMEOUT_MS = 30_000;
/** A command is not known to be safe to rerun: one attempt; `--retry` starts a new run instead. */
const EXEC_ATTEMPTS = 1;

export interface ExecOptions {
  key: string;
  name?: string;
  timeout: number;
  heartbeatTimeout: number;
  retry?: boolean;
}

export async function exec(ctx: Context, argv: string[], o: ExecOptions): Promise<number> {
  const key = validateKey(o.key);
  const [command, ...args] = argv;
  if (!command) throw new Error('unreachable: commander requires the command');
  const name = o.name ?? path.basename(command);
  // A key of a registered script's form is that script's alone.
  ctx.registry.assertKeyFor(EXEC_SCRIPT, key);
  const temporal = externalTemporal();
  const { target } = temporal;
  const [connection, client] = await Promise.all([connectWorker(target), connectClient(target)]);
  const keys = await openKeys(ctx, temporal, client).catch(async (err: unknown) => {
    await Promise.all([connection.close(), client.connection.close()]);
    throw err;
  });
  const runs = new RunService({ client, taskQueue: ctx.settings.taskQueue, keys, registry: ctx.registry });
  const guard = new KeyGuard(keys, client, ctx.settings.requireReservation);
  const privateQueue = `${ctx.settings.taskQueue}-exec-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const request = execRequest(name, argv);
  const workflowQueue = execTaskQueue(ctx.settings.taskQueue);
  let ranHere = false;
  const runCommand = async (activity: RunActivityInput): Promise<RunResult> => {
    // Only ever the command this process was started with, for its own run, whatever arrived over the wire.
    if (
      ActivityContext.current().info.workflowType !== WorkflowTypes.script ||
      activity.args.argv !== request.args.argv
    ) {
      throw refusal('This exec process runs only its own command.');
    }
    return executeInActivity(
      activity,
      {
        command,
        args,
        env: { ...(process.env as Record<string, string>) },
        cwd: process.cwd(),
        timeoutMs: o.timeout * 1000,
        killGraceMs: DEFAULT_KILL_GRACE_SECONDS * 1000,
        maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
        onStdout: (chunk) => process.stdout.write(chunk),
        onStderr: (chunk) => process.stderr.write(chunk),
        onStart: () => (ranHere = true),
      },
      // Its own key and nothing else; checked against the workflow ID the server names and the input's key,
      // and claimed in the key store before the command starts.
      {
        workflowId: key,
        attempts: EXEC_ATTEMPTS,
        keys: {
          guard,
          script: EXEC_SCRIPT,
          request: canonicalJson(request),
          grantToken: activity.retryOf?.grant,
        },
      },
    );
  };
  const bundle = await workflowBundle();
  const workers = await Promise.all([
    // No workflow cache: this process is short-lived, and cached (sticky) runs would stall once it exits.
    Worker.create({
      connection,
      namespace: target.namespace,
      taskQueue: workflowQueue,
      workflowBundle: bundle,
      maxCachedWorkflows: 0,
    }),
    Worker.create({
      connection,
      namespace: target.namespace,
      taskQueue: privateQueue,
      activities: { runCommand },
      maxHeartbeatThrottleInterval: '1 second',
    }),
  ]);
  const running = workers.map((w) =>
    w.run().catch((err: unknown) => {
      // Exit as SuperScript, not with a code the command could have returned; the reaper ends the command.
      process.stderr.write(`superscript: worker failed: ${(err as Error).message}\n`);
      process.exit(EXIT.error);
    }),
  );
  try {
    const { run: view } = await runs.exec(
      {
        key,
        name,
        argv,
        activityTaskQueue: privateQueue,
        policy: {
          startToCloseTimeoutMs: backstopTimeoutMs(o.timeout, DEFAULT_KILL_GRACE_SECONDS),
          heartbeatTimeoutMs: o.heartbeatTimeout * 1000,
          // Only this process polls the private queue: if it dies before picking the command up, nobody will.
          scheduleToStartTimeoutMs: EXEC_PICKUP_TIMEOUT_MS,
          maximumAttempts: EXEC_ATTEMPTS,
        },
      },
      Boolean(o.retry),
    );
    const result = view.result;
    if (!ranHere && result && 'stdout' in result) {
      // Someone else ran it: replay what it printed and how it ended (escaped at a terminal only).
      process.stdout.write(forTerminal(process.stdout, result.stdout));
      process.stderr.write(forTerminal(process.stderr, result.stderr));
    }
    if (!ranHere) {
      process.stderr.write(
        `superscript: key ${key} already ran (run ${view.runId}, ${view.status}); not run again\n`,
      );
    }
    if (view.status !== 'succeeded' && view.status !== 'failed') {
      process.stderr.write(`superscript: ${view.message ?? view.status}\n`);
    }
    return exitCodeFor(view);
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await connection.close();
    await client.connection.close();
    await keys.close();
  }
}
