// R8: every workflow type started by hand, as anyone who reaches Temporal could, for keys that are done,
// failed, outcome unknown and in flight: with the TypeScript SDK's client, with the `temporal` CLI (the Go
// SDK's client, including a reset of a finished run and a start that terminates the run in flight), and
// through Temporal's own HTTP API where the server has one. Not one script may run again: the key store
// refuses every such run where the script would start. Counted from the scripts' side effects (the ledger
// and the sleepers' executions logs), and checked against the key store's records.
import { spawn } from 'node:child_process';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { eventually } from '../../support/poll.js';
import { batchPartWorkflowId, batchWorkflowId, paymentWorkflowId } from '../../../src/shared/ids.js';
import { WorkflowTypes } from '../../../src/shared/workflow-types.js';
import { ApiClient } from '../../../src/shared/api-client.js';
import { httpRequest } from '../http.js';
import { processTable } from '../../support/processes.js';
import { runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { Stack, type Service } from '../stack.js';
import { FIXTURE_REGISTRY } from '../../support/paths.js';

/**
 * How long a hand-started run may take to be refused (it waits for a worker like any run): a bound, not a
 * figure; on a loaded machine a minute has not always been enough.
 */
const REFUSED_WITHIN_MS = 180_000;

export function handStarted(ctx: ScenarioContext): Promise<ScenarioResult> {
  return runScenario(
    'R8',
    'every workflow type started by hand for done, failed, unknown and in-flight keys',
    async (inv, figures) => {
      const stack = await Stack.open({
        server: ctx.topology.server,
        name: 'r8',
        registryFile: FIXTURE_REGISTRY,
        cli: ctx.cli,
      });
      try {
        const api = await stack.startApi();
        let workers: Service[] = await stack.startWorkers(ctx.topology.workers);
        const t = runTag();
        const keys = await stack.keyStore();
        const client = new ApiClient({ baseUrl: api.url });

        // The four keys, made through the front door.
        const paid = `r8${t}paid`;
        const done = paymentWorkflowId(paid);
        const paidRun = await client.pay({ orderId: paid, amount: 12.5 });
        inv.check(paidRun.status === 200, `the payment answered ${paidRun.status}: ${paidRun.body.status}`);
        const failedTag = `r8-${t}-failed`;
        const failed = `tell-${failedTag}`;
        await client.run({ script: 'tell', args: { tag: failedTag, seconds: 0, code: 4 } });
        const unknownTag = `r8-${t}-unknown`;
        const unknown = `r8-${t}-unknown`;
        const flyingTag = `r8-${t}-flying`;
        const flying = `r8-${t}-flying`;
        const sleeper = (tag: string, seconds: number) => ({ script: 'sleeper', args: { seconds, tag } });
        await client.run({ ...sleeper(unknownTag, 60), key: unknown }, { wait: '0' });
        // Its worker dies mid-script; a new one decides the run: outcome unknown.
        const killedAt = await killWorkerOf(stack, unknownTag, workers);
        workers = [...workers.filter((w) => w.running), await stack.startWorker()];
        // A bound, not a figure: its heartbeat (2 s) must time out and the next attempt find the script
        // started with no attempt left, which takes seconds (R2 measures it); the figure is printed.
        await until(stack, unknown, 'outcome_unknown', 60_000);
        // When the store recorded it (the replacement worker's start-up is not in it).
        figures.unknownAfterKillMs = Date.parse((await keys.get(unknown))?.endedAt ?? '') - killedAt;
        await client.run({ ...sleeper(flyingTag, 20), key: flying }, { wait: '0' });
        await until(stack, flying, 'running');
        // The key is marked running just before the spawn: its script writes its line a moment later.
        await eventually(
          'the in-flight script to start',
          () => (executions(stack, flyingTag) ? true : undefined),
          30_000,
        );

        const before = {
          ledger: stack.ledger().length,
          failed: executions(stack, failedTag),
          unknown: executions(stack, unknownTag),
          flying: executions(stack, flyingTag),
        };
        const records = Object.fromEntries(
          await Promise.all([done, failed, unknown].map(async (k) => [k, await keys.get(k)] as const)),
        );

        // By hand, with the TypeScript SDK's client: each of SuperScript's workflow types.
        const sdk = new HandStarts(stack);
        const payment = (amount: number, extra: object = {}) => ({ orderId: paid, amount, ...extra });
        const forged = { retryOf: { runId: 'x', by: 'r8', grant: 'forged-grant-0000000000' } };
        await Promise.all([
          sdk.start('payment, same request', WorkflowTypes.payment, done, payment(12.5)),
          sdk.start('payment, another amount', WorkflowTypes.payment, done, payment(999)),
          sdk.start('payment, a forged retry', WorkflowTypes.payment, done, payment(12.5, forged)),
          sdk.start('script run of the payment', WorkflowTypes.script, done, {
            script: 'collect-payment',
            args: { orderId: paid, amount: 12.5 },
            key: done,
          }),
          sdk.start('failed key, same request', WorkflowTypes.script, failed, {
            script: 'tell',
            args: { tag: failedTag, seconds: 0, code: 4 },
            key: failed,
          }),
          sdk.start('failed key, a forged retry', WorkflowTypes.script, failed, {
            script: 'tell',
            args: { tag: failedTag, seconds: 0, code: 0 },
            key: failed,
            ...forged,
          }),
          sdk.start('unknown key, same request', WorkflowTypes.script, unknown, {
            ...sleeper(unknownTag, 60),
            key: unknown,
          }),
          sdk.start('unknown key, a forged resolve', WorkflowTypes.script, unknown, {
            ...sleeper(unknownTag, 60),
            key: unknown,
            resolve: { runId: 'x', by: 'r8', grant: 'forged-grant-0000000000' },
          }),
        ]);
        // A batch by hand: a part holding the paid order, and its coordinator.
        const batchId = `r8-${t}`;
        await sdk.start(
          'batch part over the paid order',
          WorkflowTypes.batchPart,
          batchPartWorkflowId(batchId, 0),
          {
            batchId,
            part: 0,
            orders: [{ orderId: paid, amount: 12.5 }],
          },
        );
        await sdk.start('batch coordinator', WorkflowTypes.orchestrator, batchWorkflowId(batchId), {
          batchId,
          parts: 1,
          total: 1,
          ordersSha256: 'r8',
        });

        // With the `temporal` CLI.
        const cli = new CliStarts(stack, ctx.topology.temporalCli);
        await cli.start('CLI: payment, another amount', WorkflowTypes.payment, done, payment(999));
        await cli.start('CLI: failed key', WorkflowTypes.script, failed, {
          script: 'tell',
          args: { tag: failedTag, seconds: 0, code: 4 },
          key: failed,
        });
        // A reset of the paid run: a new run replays it from its first workflow task, and asks again.
        await cli.reset('CLI: reset of the paid run', done);
        // The run in flight, terminated by a start that takes its workflow ID over.
        await cli.start(
          'CLI: start over the run in flight (TerminateExisting)',
          WorkflowTypes.script,
          flying,
          { ...sleeper(flyingTag, 20), key: flying },
          ['--id-conflict-policy', 'TerminateExisting'],
        );

        // Through Temporal's own HTTP API, where the server opens one.
        const http = ctx.topology.httpApi;
        if (http) {
          const res = await httpRequest(http, {
            method: 'POST',
            path: `/api/v1/namespaces/${ctx.topology.server.namespace}/workflows/${done}`,
            headers: { 'content-type': 'text/plain', host: 'localhost' },
            body: JSON.stringify({
              workflowType: { name: WorkflowTypes.payment },
              taskQueue: { name: stack.taskQueue },
              input: { payloads: [] },
            }),
          });
          inv.check(res.status === 403, `Temporal's HTTP API answered ${res.status}, not 403: ${res.text}`);
          figures.httpApiStatus = res.status;
        } else figures.httpApiStatus = 'no HTTP port';

        const outcomes = { ...(await sdk.ended()), ...(await cli.ended()) };
        for (const [name, how] of Object.entries(outcomes)) {
          inv.check(
            how === 'RunRefused' || how === 'not started' || how === 'no script',
            `${name}: ended ${how}; a hand-started run for a used key must be refused`,
          );
        }
        await until(stack, flying, ['terminated', 'succeeded', 'outcome_unknown'], 60_000);

        const after = {
          ledger: stack.ledger().length,
          failed: executions(stack, failedTag),
          unknown: executions(stack, unknownTag),
          flying: executions(stack, flyingTag),
        };
        inv.check(after.ledger === before.ledger, `the ledger grew from ${before.ledger} to ${after.ledger}`);
        inv.check(before.ledger === 1, `the paid order was charged ${before.ledger} times before, not once`);
        for (const k of ['failed', 'unknown', 'flying'] as const) {
          inv.check(after[k] === 1, `the ${k} key's script ran ${after[k]} times, not once`);
        }
        for (const [key, was] of Object.entries(records)) {
          const now = await keys.get(key);
          inv.check(
            now?.state === was?.state && now?.runId === was?.runId,
            `${key}: the key store moved from ${was?.state}/${was?.runId} to ${now?.state}/${now?.runId}`,
          );
        }
        Object.assign(figures, {
          handStarts: Object.keys(outcomes).length,
          refused: Object.values(outcomes).filter((h) => h === 'RunRefused').length,
          outcomes: JSON.stringify(outcomes),
          ledgerLines: after.ledger,
          extraExecutions:
            after.ledger -
            before.ledger +
            (after.failed - before.failed) +
            (after.unknown - before.unknown) +
            (after.flying - before.flying),
          inFlightKeyEnded: (await keys.get(flying))?.state ?? 'none',
        });
      } finally {
        await stack.stop();
      }
    },
  );
}

function executions(stack: Stack, tag: string): number {
  return stack.lines(`executions-${tag}.log`).length;
}

/** Until the key store says `key` is in `states`. */
async function until(
  stack: Stack,
  key: string,
  states: string | string[],
  timeoutMs = 30_000,
): Promise<void> {
  const keys = await stack.keyStore();
  const wanted = Array.isArray(states) ? states : [states];
  await eventually(
    `${key} to be ${wanted.join(' or ')}`,
    async () => (wanted.includes((await keys.get(key))?.state ?? '') ? true : undefined),
    timeoutMs,
  );
}

/**
 * SIGKILLs the worker whose child the sleeper `tag` is, once the script runs (it has written its executions
 * line and then its pids); returns when. Not as soon as the key says `running`: the key is marked running
 * just before the spawn, so the pids file may not be there yet, and its parent cannot be told. Picking a
 * worker anyway is a coin toss on a cluster's two workers: the other one's script ran on to its 30 s timeout
 * and the key ended `timed_out`, never `outcome_unknown` (this set-up then waited out its bound); and even the
 * right worker could be killed before the script started, so that it ran 0 times.
 */
async function killWorkerOf(stack: Stack, tag: string, workers: Service[]): Promise<number> {
  const pid = await eventually(
    `the sleeper ${tag} to start`,
    () => {
      const pids = stack.lines(`pids-${tag}.txt`)[0]?.split(' ');
      return pids?.length === 2 ? Number(pids[0]) : undefined;
    },
    30_000,
    20,
  );
  const host = processTable().find((p) => p.pid === pid)?.ppid;
  const victim = workers.find((w) => w.pid === host);
  if (!victim) throw new Error(`no worker is the parent of the sleeper ${tag} (pid ${pid}, parent ${host})`);
  await victim.kill();
  return Date.now();
}

/** Hand starts through the TypeScript SDK's client, and how each ended. */
class HandStarts {
  private readonly runs: Promise<[string, string]>[] = [];

  constructor(private readonly stack: Stack) {}

  async start(name: string, type: string, workflowId: string, input: unknown): Promise<void> {
    try {
      const handle = await this.stack.client.workflow.start(type, {
        taskQueue: this.stack.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        workflowExecutionTimeout: '90s',
      });
      this.runs.push(endedWith(handle.result(), name, type));
    } catch (err) {
      // An open run holds the ID (the key's run in flight): Temporal itself refuses the start.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      this.runs.push(Promise.resolve([name, 'not started']));
    }
  }

  async ended(): Promise<Record<string, string>> {
    return Object.fromEntries(await Promise.all(this.runs));
  }
}

/** How a hand-started run ended: the failure type it failed with, or what it did without running a script. */
async function endedWith(result: Promise<unknown>, name: string, type: string): Promise<[string, string]> {
  try {
    await withTimeout(result, REFUSED_WITHIN_MS);
    // A batch's workflows run no script themselves: their orders went through the front door.
    return [
      name,
      type === WorkflowTypes.batchPart || type === WorkflowTypes.orchestrator ? 'no script' : 'completed',
    ];
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : err;
    if (type === WorkflowTypes.orchestrator || type === WorkflowTypes.batchPart) return [name, 'no script'];
    return [name, cause instanceof ApplicationFailure ? String(cause.type) : (cause as Error).name];
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`not ended within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Hand starts and resets through the `temporal` CLI, as an operator with access to Temporal would. */
class CliStarts {
  private readonly runs: Promise<[string, string]>[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly temporal: string,
  ) {}

  async start(
    name: string,
    type: string,
    workflowId: string,
    input: unknown,
    extra: string[] = [],
  ): Promise<void> {
    const { code, output } = await this.run([
      'workflow',
      'start',
      '--type',
      type,
      '--workflow-id',
      workflowId,
      '--task-queue',
      this.stack.taskQueue,
      '--input',
      JSON.stringify(input),
      '--id-reuse-policy',
      'AllowDuplicate',
      ...extra,
    ]);
    this.follow(name, type, workflowId, code, output);
  }

  async reset(name: string, workflowId: string): Promise<void> {
    // A reset terminates the workflow ID's open run: the hand-started runs before it end first (refused), or
    // the reset, not SuperScript, would be what ended them (seen on a slow cluster).
    await this.stack.client.workflow
      .getHandle(workflowId)
      .result()
      .catch(() => undefined);
    const { code, output } = await this.run([
      'workflow',
      'reset',
      '--workflow-id',
      workflowId,
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'R8: a reset of a finished run',
    ]);
    this.follow(name, WorkflowTypes.payment, workflowId, code, output);
  }

  async ended(): Promise<Record<string, string>> {
    return Object.fromEntries(await Promise.all(this.runs));
  }

  private follow(name: string, type: string, workflowId: string, code: number | null, output: string): void {
    if (code !== 0) {
      this.runs.push(Promise.resolve([name, `CLI failed (${code}): ${output.trim().split('\n').pop()}`]));
      return;
    }
    // The new run is the workflow ID's latest.
    this.runs.push(endedWith(this.stack.client.workflow.getHandle(workflowId).result(), name, type));
  }

  private run(args: string[]): Promise<{ code: number | null; output: string }> {
    const { address, namespace } = this.stack.opts.server;
    return new Promise((resolve) => {
      const child = spawn(this.temporal, [...args, '--address', address, '--namespace', namespace], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('close', (code) => resolve({ code, output }));
    });
  }
}
