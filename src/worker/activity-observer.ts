// What a worker says about each activity it runs: log lines that name the run (workflow ID, run ID, script,
// key), the same names on the SDK's own activity log lines, and how many scripts run here right now.
import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { RunActivities, RunActivityInput } from '../activities/types.js';
import { processRegistry } from '../metrics/exposition.js';
import type { RunResult } from '../shared/schemas/runs.js';

const SCRIPT_ACTIVITY: keyof RunActivities = 'runScript';

let inFlight: Gauge<'script'> | undefined;

/**
 * Scripts running in this process. A per-process gauge is exact here: a worker that dies takes its scripts
 * (the reaper ends them) and its gauge with it; the sum over workers is what runs now.
 */
function runsInFlight(): Gauge<'script'> {
  inFlight ??= new Gauge({
    name: 'superscript_runs_in_flight',
    help: 'Scripts running on this worker now, by script.',
    labelNames: ['script'],
    registers: [processRegistry()],
  });
  return inFlight;
}

/** `scripts`: the registered names, so each has a series (at 0) before its first run. */
export function observeActivities(log: Logger, scripts: string[]): ActivityInterceptorsFactory {
  const gauge = runsInFlight();
  for (const script of scripts) gauge.inc({ script }, 0);
  return (ctx) => {
    let names: RunNames | undefined;
    return {
      inbound: {
        async execute(input, next) {
          names = runNames(ctx, input.args[0] as RunActivityInput);
          if (ctx.info.activityType !== SCRIPT_ACTIVITY) return next(input);
          const runLog = log.child(names);
          const script = { script: names.script };
          runLog.info({ attempt: ctx.info.attempt }, 'script started');
          gauge.inc(script);
          try {
            const result = (await next(input)) as RunResult;
            runLog.info(ended(result), 'script ended');
            return result;
          } catch (err) {
            const result = (err as { details?: unknown[] }).details?.[0] as RunResult | undefined;
            const fields = result ? ended(result) : { err };
            runLog[result?.outcome === 'outcome_unknown' ? 'warn' : 'info'](fields, 'script ended');
            throw err;
          } finally {
            gauge.dec(script);
          }
        },
      },
      outbound: {
        getLogAttributes: (attributes, next) => next({ ...attributes, ...names }),
      },
    };
  };
}

interface RunNames {
  workflowId: string;
  runId: string;
  script: string;
  key: string;
}

/** The run an activity is about: a script's (or its verify command's) activity runs in its own run's workflow. */
function runNames(ctx: Context, input: RunActivityInput): RunNames {
  return {
    workflowId: ctx.info.workflowExecution?.workflowId ?? '',
    runId: ctx.info.workflowExecution?.runId ?? '',
    script: input.script,
    key: input.key,
  };
}

function ended(r: RunResult) {
  return { outcome: r.outcome, exitCode: r.exitCode, signal: r.signal, durationMs: r.durationMs };
}
