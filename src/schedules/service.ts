// The front door to schedules, a verb each (create, list, describe, pause, unpause, trigger, backfill,
// delete), over Temporal Schedules: Temporal keeps them and fires them (durable, no cron host), each fire a
// ScheduleFireWorkflow that runs the script under the key its template forms from the fire's time. A request
// is checked against the script registry, and its key template against the registry's key rules, before
// anything is created, so bad input changes nothing.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError as TemporalScheduleNotFound,
  ScheduleOverlapPolicy,
  isGrpcServiceError,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import { templateFields, validateArgs } from '../config/scripts.js';
import { ConfigError, InvalidRequestError, ScheduleExistsError, ScheduleNotFoundError } from '../errors.js';
import { fireKey, utcSecond } from '../runs/keys.js';
import type { RunService } from '../runs/service.js';
import { scheduleId, scheduleFireWorkflowId, SCHEDULE_ID_SEPARATOR } from '../shared/ids.js';
import { canonicalJson } from '../shared/runs.js';
import { CONFIG_CREATOR, FIRE_TIME_FIELD, type ScheduleFireInput } from '../shared/schedules.js';
import {
  DURATION,
  type BackfillRequest,
  type OverlapPolicy,
  type ScheduleRequest,
  type ScheduleView,
} from '../shared/schemas/schedules.js';
import { WorkflowTypes } from '../shared/workflow-types.js';

/**
 * How late a fire missed while Temporal was unreachable may still be taken. Short, so a schedule firing
 * every second does not replay a week of downtime when Temporal comes back; `backfill` runs what was missed.
 */
const DEFAULT_CATCH_UP_WINDOW = '1m';

/** The schedule's own words for its timing (see definition). */
const SPEC_MEMO = 'superscript.schedule';
interface SpecMemo {
  cron?: string;
  every?: string;
  timezone: string;
}

const OVERLAP: Record<OverlapPolicy, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
};

export class ScheduleService {
  constructor(private readonly runs: RunService) {}

  /** Creates a schedule whose fires run with the authority of `by` (the creating token), recorded on it. */
  async create(request: ScheduleRequest, by: string): Promise<ScheduleView> {
    const definition = this.definition(request, by);
    try {
      await this.runs.client.schedule.create({
        scheduleId: scheduleId(request.name, this.runs.taskQueue),
        ...definition,
        state: { note: request.note ?? `Created by ${by}.` },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) throw new ScheduleExistsError(request.name);
      throw refusal(err);
    }
    return this.describe(request.name);
  }

  /**
   * Makes Temporal hold the schedules the config file declares, as declared: a missing one is created, one
   * that differs from its declaration is updated to it (its state, note and counts stay). A schedule of the
   * same name that the config file did not create is not taken over. A declaration that is wrong is a
   * ConfigError, and changes nothing.
   */
  async declare(declared: readonly ScheduleRequest[]): Promise<void> {
    for (const request of declared) {
      try {
        await this.declareOne(request);
      } catch (err) {
        if (!(err instanceof InvalidRequestError)) throw err;
        throw new ConfigError(`Invalid schedule "${request.name}" in the config file: ${err.message}`);
      }
    }
  }

  private async declareOne(request: ScheduleRequest): Promise<void> {
    const definition = this.definition(request, CONFIG_CREATOR);
    const found = await this.describe(request.name).catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
    if (!found) {
      // Another API process may declare it at the same moment: the same declaration.
      await this.create(request, CONFIG_CREATOR).catch((err: unknown) => {
        if (!(err instanceof ScheduleExistsError)) throw err;
      });
      return;
    }
    if (found.createdBy !== CONFIG_CREATOR) {
      throw new ConfigError(
        `The config file declares schedule "${request.name}", but one of that name was created by ${found.createdBy}. Rename the declared one, or delete the other (\`superscript schedule delete ${request.name}\`).`,
      );
    }
    if (sameDefinition(found, request)) return;
    await this.found(request.name, (h) =>
      h.update((previous) => ({
        ...definition,
        state: { paused: previous.state.paused, note: previous.state.note },
      })),
    );
  }

  /**
   * A schedule's timing, action and policies, checked first. The schedule's own words for its timing ride in
   * the action's memo (Temporal compiles a cron expression into calendars, and a schedule's own memo cannot
   * be updated), so each fire's workflow carries them too.
   */
  private definition(request: ScheduleRequest, by: string) {
    const fire = this.fireInput(request, by);
    const timezone = request.timezone ?? 'UTC';
    const memo: SpecMemo = { cron: request.cron, every: request.every, timezone };
    return {
      spec: {
        ...(request.cron ? { cronExpressions: [request.cron] } : {}),
        ...(request.every ? { intervals: [{ every: seconds(request.every) * 1000 }] } : {}),
        timezone,
      },
      action: {
        type: 'startWorkflow' as const,
        workflowType: WorkflowTypes.scheduleFire,
        workflowId: scheduleFireWorkflowId(request.name, this.runs.taskQueue),
        taskQueue: this.runs.taskQueue,
        args: [fire],
        memo: { [SPEC_MEMO]: memo },
      },
      policies: {
        overlap: OVERLAP[request.overlap ?? 'skip'],
        catchupWindow: seconds(request.catchUpWindow ?? DEFAULT_CATCH_UP_WINDOW) * 1000,
      },
    };
  }

  /** The installation's schedules, by name. */
  async list(): Promise<ScheduleView[]> {
    const suffix = `${SCHEDULE_ID_SEPARATOR}${this.runs.taskQueue}`;
    const names: string[] = [];
    for await (const s of this.runs.client.schedule.list()) {
      if (s.scheduleId.endsWith(suffix)) names.push(s.scheduleId.slice(0, -suffix.length));
    }
    const views = await Promise.all(names.map((n) => this.describe(n).catch(() => undefined)));
    return views.filter((v) => v !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One schedule: its timing, state, next fires, last fires with their keys, skip and miss counts. */
  async describe(name: string): Promise<ScheduleView> {
    return viewOf(name, await this.found(name, (h) => h.describe()));
  }

  /** Stops the schedule firing; the note (why) is shown on it. */
  async pause(name: string, note?: string): Promise<ScheduleView> {
    await this.found(name, (h) => h.pause(note ?? 'Paused.'));
    return this.describe(name);
  }

  async unpause(name: string, note?: string): Promise<ScheduleView> {
    await this.found(name, (h) => h.unpause(note ?? 'Unpaused.'));
    return this.describe(name);
  }

  /**
   * Fires now, whatever the overlap policy (Temporal's default for a trigger): a fire of its own, under
   * the key of this second.
   */
  async trigger(name: string): Promise<ScheduleView> {
    await this.found(name, (h) => h.trigger());
    return this.describe(name);
  }

  /**
   * Takes the fires the schedule would have had from `from` to `to`, one after another. Each fire's key is
   * the one it would have had on time, so a fire that ran already is replayed, never run again.
   */
  async backfill(name: string, request: BackfillRequest): Promise<ScheduleView> {
    const start = new Date(request.from);
    const end = new Date(request.to);
    if (!(start < end)) throw new InvalidRequestError('"from" must be before "to".', 'from');
    await this.found(name, (h) => h.backfill({ start, end, overlap: ScheduleOverlapPolicy.BUFFER_ALL }));
    return this.describe(name);
  }

  /** Deletes the schedule; its fires' runs and keys stay. */
  async delete(name: string): Promise<{ name: string; deleted: true }> {
    await this.found(name, (h) => h.delete());
    return { name, deleted: true };
  }

  /** The fire's input, checked as a run of it would be: script, arguments, and the keys it will make. */
  private fireInput(request: ScheduleRequest, by: string): ScheduleFireInput {
    const spec = this.runs.registry.get(request.script);
    const args = validateArgs(spec, request.args ?? {});
    const key = request.key ?? defaultKey(request.name);
    if (spec.key) {
      // Such a script runs under the one key its arguments make: every fire would be that one run.
      throw new InvalidRequestError(
        `Script "${spec.name}" runs under the key its registry forms from its arguments ("${spec.key}"), so every fire would be the same run. Schedule a script without a key template.`,
        'script',
      );
    }
    if (!key.includes(`{${FIRE_TIME_FIELD}}`)) {
      throw new InvalidRequestError(
        `The key template "${key}" has no {${FIRE_TIME_FIELD}}: every fire would have the same key and run once. Add {${FIRE_TIME_FIELD}}.`,
        'key',
      );
    }
    const unknown = templateFields(key).find((f) => f !== FIRE_TIME_FIELD && !(f in args));
    if (unknown !== undefined) {
      throw new InvalidRequestError(
        `The key template "${key}" names {${unknown}}, which is neither {${FIRE_TIME_FIELD}} nor an argument of ${spec.name}.`,
        'key',
      );
    }
    // A sample fire's key, checked as every fire's will be: a valid key, of this script's form.
    const sample = (() => {
      try {
        return fireKey(key, args, new Date());
      } catch (err) {
        if (err instanceof InvalidRequestError) throw new InvalidRequestError(err.message, 'key');
        throw err;
      }
    })();
    this.runs.registry.assertKeyFor(spec.name, sample);
    return { schedule: request.name, script: spec.name, args, key, createdBy: by };
  }

  /** What `act` answers on the schedule's handle; ScheduleNotFoundError when there is no such schedule. */
  private async found<T>(name: string, act: (h: ScheduleHandle) => Promise<T>): Promise<T> {
    try {
      return await act(this.runs.client.schedule.getHandle(scheduleId(name, this.runs.taskQueue)));
    } catch (err) {
      if (err instanceof TemporalScheduleNotFound) throw new ScheduleNotFoundError(name);
      throw refusal(err);
    }
  }
}

/** Whether a schedule Temporal holds is what the request asks for (its state and note aside). */
function sameDefinition(view: ScheduleView, request: ScheduleRequest): boolean {
  return (
    view.script === request.script &&
    canonicalJson(view.args) === canonicalJson(request.args ?? {}) &&
    view.key === (request.key ?? defaultKey(request.name)) &&
    view.cron === request.cron &&
    view.every === request.every &&
    view.timezone === (request.timezone ?? 'UTC') &&
    view.overlap === (request.overlap ?? 'skip') &&
    view.catchUpWindowSeconds === seconds(request.catchUpWindow ?? DEFAULT_CATCH_UP_WINDOW)
  );
}

/** A schedule's key template unless it names one: its name and the fire's time. */
function defaultKey(name: string): string {
  return `${name}-{${FIRE_TIME_FIELD}}`;
}

/** A schedule as SuperScript shows it, from Temporal's description. */
function viewOf(name: string, d: ScheduleDescription): ScheduleView {
  const fire = d.action.args?.[0] as ScheduleFireInput;
  const memo = (d.action.memo?.[SPEC_MEMO] ?? { timezone: 'UTC' }) as SpecMemo;
  return {
    name,
    script: fire.script,
    args: fire.args,
    key: fire.key,
    ...(memo.cron ? { cron: memo.cron } : {}),
    ...(memo.every ? { every: memo.every } : {}),
    timezone: memo.timezone,
    overlap: overlapName(d.policies.overlap),
    catchUpWindowSeconds: Math.round(d.policies.catchupWindow / 1000),
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    createdBy: fire.createdBy,
    createdAt: d.info.createdAt.toISOString(),
    nextFires: d.info.nextActionTimes.map((t) => utcSecond(t)),
    lastFires: d.info.recentActions.map((a) => ({
      scheduledAt: utcSecond(a.scheduledAt),
      takenAt: a.takenAt.toISOString(),
      key: fireKey(fire.key, fire.args, a.scheduledAt),
    })),
    fires: {
      taken: d.info.numActionsTaken,
      skippedOverlap: d.info.numActionsSkippedOverlap,
      missedCatchUpWindow: d.info.numActionsMissedCatchupWindow,
    },
  };
}

function overlapName(policy: ScheduleOverlapPolicy): string {
  const found = Object.entries(OVERLAP).find(([, p]) => p === policy);
  return found ? found[0] : String(policy).toLowerCase().replace(/_/g, '-');
}

/** "90s", "5m": in seconds. */
function seconds(duration: string): number {
  const m = DURATION.exec(duration);
  if (!m) throw new InvalidRequestError(`"${duration}" is not a duration like 30s or 5m.`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** gRPC's status code for a request the server cannot take as it is. */
const INVALID_ARGUMENT = 3;

/**
 * Temporal refusing what it was asked is bad input: the SDK turns a spec the server cannot read (a cron
 * expression, a time zone) into a TypeError, and wraps any other refusal's gRPC error as its cause.
 */
function refusal(err: unknown): unknown {
  if (err instanceof TypeError) {
    return new InvalidRequestError(
      `The schedule's timing is invalid: ${err.message}. Nothing was created.`,
      'cron',
    );
  }
  const cause = (err as { cause?: unknown }).cause;
  if (isGrpcServiceError(cause) && cause.code === INVALID_ARGUMENT) {
    return new InvalidRequestError(`Temporal refused the schedule: ${cause.details}. Nothing was created.`);
  }
  return err;
}
