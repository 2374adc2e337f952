// R2: the worker is SIGKILLed while a script runs, over and over. The script never runs a second time, no
// script process survives its worker (the reaper ends its process group), and every run ends
// outcome_unknown once a replacement worker picks the workflow up: a script killed mid-run never reports
// succeeded (nor anything else that claims to know what it did).
import { httpRequest } from '../http.js';
import { eventually, sleep } from '../../support/poll.js';
import { findProcesses, processTable, stillRunning } from '../../support/processes.js';
import { runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { Stack, type Service } from '../stack.js';
import { FIXTURE_REGISTRY } from '../../support/paths.js';

export interface WorkerKillParams {
  trials: number;
  /**
   * How long the sleeper would run. Far longer than the reaper's grace: a script killed only by SIGPIPE
   * when it next writes to its dead worker would still be running when the process table is checked.
   */
  scriptSeconds: number;
  /** Each kill lands a random 0..maxKillDelayMs after the script started. */
  maxKillDelayMs: number;
}

/** The reaper's grace between SIGTERM and SIGKILL (src/process/reaper.ts default), plus slack. */
const SCRIPT_GONE_WITHIN_MS = 5000 + 2000;

interface Trial {
  key: string;
  tag: string;
  killDelayMs: number;
  /** The script's bash and its `sleep`, from the pids file the sleeper writes. */
  pids: number[];
  aliveAtKill: boolean;
  reaperPids: number[];
  killedAt: number;
  outcome?: string;
  outcomeAfterMs?: number;
  goneAfterMs?: number;
  leftOver?: string[];
}

export function workerSigkill(
  ctx: ScenarioContext,
  p: WorkerKillParams = { trials: 20, scriptSeconds: 20, maxKillDelayMs: 2000 },
): Promise<ScenarioResult> {
  const of = ctx.topology.workers > 1 ? ` (one of ${ctx.topology.workers} workers)` : '';
  return runScenario('R2', `worker SIGKILL mid-script${of}, ${p.trials} trials`, async (inv, figures) => {
    const stack = await Stack.open({
      server: ctx.topology.server,
      name: 'r2',
      registryFile: FIXTURE_REGISTRY,
      cli: ctx.cli,
    });
    try {
      const api = await stack.startApi();
      const workers: Service[] = await stack.startWorkers(ctx.topology.workers);
      const t = runTag();
      const trials: Trial[] = [];
      const followUps: Promise<void>[] = [];

      for (let i = 0; i < p.trials; i++) {
        const tag = `r2-${t}-${i}`;
        const started = await httpRequest(api.url, {
          method: 'POST',
          path: '/v1/runs?wait=0',
          headers: { 'idempotency-key': tag },
          body: { script: 'sleeper', args: { seconds: p.scriptSeconds, tag } },
        });
        if (started.status !== 202)
          throw new Error(`trial ${i}: start answered ${started.status}: ${started.text}`);
        // The sleeper writes its pids once it and its child are running: the script is now mid-way.
        const pids = await eventually(
          `trial ${i}: the sleeper to start`,
          () => {
            const line = stack.lines(`pids-${tag}.txt`)[0];
            return line?.split(' ').length === 2 ? line.split(' ').map(Number) : undefined;
          },
          20_000,
          20,
        );
        // With several workers, the victim is the one running the script: its parent.
        const host = processTable().find((proc) => proc.pid === pids[0])?.ppid;
        const worker = workers.find((w) => w.pid === host);
        if (!worker) throw new Error(`trial ${i}: no worker is the parent of the script (pid ${pids[0]})`);
        const killDelayMs = Math.round(Math.random() * p.maxKillDelayMs);
        await sleep(killDelayMs);
        const reaperPids = processTable()
          .filter((proc) => proc.ppid === worker.pid && proc.argv.includes('superscript-reaper'))
          .map((proc) => proc.pid);
        const trial: Trial = {
          key: tag,
          tag,
          killDelayMs,
          pids,
          aliveAtKill: stillRunning(pids[0]!, 'sleeper.sh'),
          reaperPids,
          killedAt: Date.now(),
        };
        await worker.kill();
        trials.push(trial);
        followUps.push(followUp(api.url, trial));
        // The replacement may be the next trial's victim; it (and any other worker) lets this trial's
        // workflow finish.
        workers[workers.indexOf(worker)] = await stack.startWorker();
      }
      await Promise.all(followUps);

      // A second execution would append a second line to the sleeper's executions log; give one time to.
      await sleep(2000);
      const executions = trials.map((tr) => stack.lines(`executions-${tr.tag}.log`).length);
      const reapersLeft = await reapersStillRunning(trials.flatMap((tr) => tr.reaperPids));
      const count = (o: string) => trials.filter((tr) => tr.outcome === o).length;
      const maxOf = (xs: (number | undefined)[]) => Math.max(0, ...xs.map((x) => x ?? Infinity));

      Object.assign(figures, {
        trials: p.trials,
        killedWhileScriptRan: trials.filter((tr) => tr.aliveAtKill).length,
        killDelayMinMs: Math.min(...trials.map((tr) => tr.killDelayMs)),
        killDelayMaxMs: Math.max(...trials.map((tr) => tr.killDelayMs)),
        outcomeUnknown: count('outcome_unknown'),
        succeeded: count('succeeded'),
        otherOutcomes: trials.length - count('outcome_unknown') - count('succeeded'),
        secondExecutions: executions.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
        scriptProcessesLeft: trials.reduce((sum, tr) => sum + (tr.leftOver?.length ?? 0), 0),
        maxScriptGoneAfterKillMs: maxOf(trials.map((tr) => tr.goneAfterMs)),
        maxOutcomeAfterKillMs: maxOf(trials.map((tr) => tr.outcomeAfterMs)),
        reapersLeft: reapersLeft.length,
      });

      trials.forEach((tr, i) => {
        inv.check(executions[i] === 1, `trial ${i}: the script ran ${executions[i]} times`);
        // Each script sleeps far longer than the kill delay, so every kill must land mid-run; one that did
        // not would test nothing, and its outcome would prove nothing.
        inv.check(tr.aliveAtKill, `trial ${i}: the script was not running when its worker was killed`);
        inv.check(
          tr.outcome === 'outcome_unknown',
          `trial ${i}: the script was killed mid-run, yet its run ended ${tr.outcome ?? 'never'}, not outcome_unknown`,
        );
        inv.check(
          (tr.leftOver?.length ?? 0) === 0,
          `trial ${i}: script processes still running ${SCRIPT_GONE_WITHIN_MS} ms after the kill: ${tr.leftOver?.join('; ')}`,
        );
      });
      if (reapersLeft.length > 0)
        inv.note(`reapers still running after their grace: ${reapersLeft.join(', ')}`);
    } finally {
      await stack.stop();
    }
  });
}

/** Waits for the run's end and for its processes to be gone; records both on the trial. */
async function followUp(apiUrl: string, trial: Trial): Promise<void> {
  const gone = (async () => {
    const deadline = trial.killedAt + SCRIPT_GONE_WITHIN_MS;
    for (;;) {
      const left = leftOverProcesses(trial);
      if (left.length === 0) {
        trial.goneAfterMs = Date.now() - trial.killedAt;
        return;
      }
      if (Date.now() > deadline) {
        trial.leftOver = left;
        return;
      }
      await sleep(100);
    }
  })();
  const ended = eventually(
    `run ${trial.key} to end`,
    async () => {
      const res = await httpRequest(apiUrl, { method: 'GET', path: `/v1/runs/${trial.key}` }).catch(
        () => undefined,
      );
      const status = (res?.json as { status?: string } | undefined)?.status;
      return status && status !== 'running' ? status : undefined;
    },
    90_000,
    200,
  ).then(
    (status) => {
      trial.outcome = status;
      trial.outcomeAfterMs = Date.now() - trial.killedAt;
    },
    () => undefined,
  );
  await Promise.all([gone, ended]);
}

/** The trial's script processes still alive: its two pids, or anything whose argv names its tag. */
function leftOverProcesses(trial: Trial): string[] {
  const byPid = trial.pids.filter((pid) => stillRunning(pid, 'sleep')).map((pid) => `pid ${pid}`);
  const byTag = findProcesses('sleeper.sh', trial.tag).map(
    (proc) => `pid ${proc.pid}: ${proc.argv.join(' ')}`,
  );
  return [...new Set([...byPid, ...byTag])];
}

/** Reapers of killed workers that have not exited within their grace. */
async function reapersStillRunning(pids: number[]): Promise<number[]> {
  const deadline = Date.now() + SCRIPT_GONE_WITHIN_MS;
  for (;;) {
    const left = pids.filter((pid) => stillRunning(pid, 'superscript-reaper'));
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(200);
  }
}
