// Every way a key changes, each decided from the key's current record and written as one compare-and-set
// on its version: reserving a key (the front door), claiming it and marking the script started (the
// activity that runs it, whoever started the workflow), recording how it ended, granting one more run
// (an explicit retry or resolve), and settling a key from Temporal when its run ended without saying so.
import { randomUUID } from 'node:crypto';
import { KeyStoreUnavailableError, RunStateError } from '../errors.js';
import { runNotice } from '../notify/events.js';
import { hasEnded } from './record.js';
import type { KeyStore } from './store.js';
import type { Outcome, RunResult } from '../shared/schemas/runs.js';
import type { Grant, KeyEvent, KeyRecord, KeyState } from '../shared/schemas/keys.js';

/** A run that wants to start a key's script, as the worker that hosts it knows it. */
export interface Claimant {
  key: string;
  script: string;
  /** The canonical request the run is for, from the worker's own validation of its input. */
  request: string;
  /** The run, as the Temporal server names it (never the input). */
  runId: string;
  /** Script starts the worker's registry allows one run: 1 unless the script is declared safe to retry. */
  attemptsAllowed: number;
  /** The grant token the run's input carries (an explicit retry); a token that is not the key's is void. */
  grantToken?: string;
  /** Run only keys the front door reserved: a key the store has never seen is refused. */
  requireReservation: boolean;
  /** Temporal's activity attempt, for keys filled from Temporal while their runs were in flight. */
  temporalAttempt: number;
  /** Whether a run is still open in Temporal; asked only before taking over a claim that never started. */
  isOpen(runId: string): Promise<boolean>;
  /**
   * Nothing stands between the claim and the start (no permit, no start slot to wait for): claim and mark the
   * script started in one write, as {@link markStarted} would right after.
   */
  startNow?: boolean;
}

export type ClaimAnswer =
  /** This run holds the key and may start the script (then call {@link markStarted}). */
  | { kind: 'go'; record: KeyRecord }
  /** This run has already ended, as the store recorded: its outcome stands, whatever Temporal saw. */
  | { kind: 'ended'; record: KeyRecord }
  /** This run started the script before and may not again: its outcome is unknown (now recorded). */
  | { kind: 'unknown'; record: KeyRecord }
  /** Another request or run holds the key; `holder` is its record, when there is one. */
  | { kind: 'refused'; reason: string; holder?: KeyRecord };

/** How many times a write may lose its compare-and-set to another writer before giving up. */
const MAX_RACES = 50;

interface Step<A> {
  answer: A;
  /** What to write; none when the record stays as it is. */
  write?: { record: KeyRecord; event: KeyEvent };
}

/**
 * Reads the key, decides, and writes the decision if the record has not changed since; else again. A write
 * that ends a run failed or unknown carries its notification into the outbox, in the same write.
 */
async function transition<A>(
  store: KeyStore,
  key: string,
  decide: (current: KeyRecord | undefined) => Step<A> | Promise<Step<A>>,
): Promise<A> {
  for (let race = 0; race < MAX_RACES; race++) {
    const current = await store.get(key);
    const step = await decide(current);
    if (!step.write) return step.answer;
    const { record, event } = step.write;
    const written = current
      ? await store.update(record, current.version, event, runNotice(store.scope, current, record))
      : await store.insert(record, event);
    if (written) return step.answer;
  }
  throw new KeyStoreUnavailableError(
    `Key "${key}" kept changing under ${MAX_RACES} attempts to write it; nothing was run. Send the request again.`,
  );
}

const now = () => new Date().toISOString();

function event(
  kind: KeyEvent['kind'],
  state: KeyState,
  runId: string | null,
  by?: string | null,
  detail?: string,
): KeyEvent {
  return { at: now(), kind, state, runId, by: by ?? null, detail: detail ?? null };
}

/** `rec` changed as `change` says, one version on, and stamped now. */
function next(rec: KeyRecord, change: Partial<KeyRecord>): KeyRecord {
  return { ...rec, ...change, version: rec.version + 1, updatedAt: now() };
}

function fresh(
  fields: Pick<KeyRecord, 'key' | 'script' | 'request' | 'state' | 'runId' | 'origin' | 'by'>,
): KeyRecord {
  const at = now();
  return {
    ...fields,
    attempts: 0,
    grant: null,
    result: null,
    message: null,
    createdAt: at,
    startedAt: at,
    updatedAt: at,
    endedAt: null,
    version: 1,
  };
}

/** What the front door asks before it starts a run. */
export interface Reservation {
  key: string;
  script: string;
  request: string;
  /** Who asks: a token's name, `exec`, a batch's workflow ID. */
  by: string;
}

/**
 * The front door takes a key for a request before it starts a run: the key's record, and whether this
 * call created it. A key the store already has is left as it is (the caller compares the request).
 */
export async function reserve(
  store: KeyStore,
  r: Reservation,
): Promise<{ record: KeyRecord; created: boolean }> {
  return transition<{ record: KeyRecord; created: boolean }>(store, r.key, (current) => {
    if (current) return { answer: { record: current, created: false } };
    const record = fresh({ ...r, state: 'reserved', runId: null, origin: 'superscript' });
    return {
      answer: { record, created: true },
      write: { record, event: event('reserved', 'reserved', null, r.by) },
    };
  });
}

/**
 * Where the script runs, before anything starts: may this run hold the key? Nothing else decides it,
 * whatever the workflow's input says or however it was started.
 */
export async function claim(store: KeyStore, c: Claimant): Promise<ClaimAnswer> {
  return transition<ClaimAnswer>(store, c.key, async (rec) => {
    const step = await decideClaim(rec, c);
    return c.startNow && step.answer.kind === 'go' ? startingNow(step.answer.record, step.write, c) : step;
  });
}

/** A claim that goes ahead, written with the script marked started: one write instead of two. */
function startingNow(claimed: KeyRecord, write: Step<ClaimAnswer>['write'], c: Claimant): Step<ClaimAnswer> {
  const base = write?.record ?? claimed;
  const record = write
    ? { ...base, state: 'running' as const, attempts: base.attempts + 1 }
    : next(base, { state: 'running', attempts: base.attempts + 1 });
  const detail = [write?.event.detail, `attempt ${record.attempts}`].filter(Boolean).join('; ');
  return {
    answer: { kind: 'go', record },
    write: { record, event: event('spawned', 'running', c.runId, write?.event.by, detail) },
  };
}

async function decideClaim(rec: KeyRecord | undefined, c: Claimant): Promise<Step<ClaimAnswer>> {
  const claimed = (record: KeyRecord, detail?: string, by?: string | null): Step<ClaimAnswer> => ({
    answer: { kind: 'go', record },
    write: { record, event: event('claimed', 'claimed', c.runId, by, detail) },
  });
  if (!rec) {
    if (c.requireReservation) {
      return refuse(
        `Key "${c.key}" was never reserved through SuperScript, and this installation runs only keys its front door reserved (SUPERSCRIPT_REQUIRE_RESERVATION). Start it through the API, the CLI or exec. Nothing ran.`,
      );
    }
    // A run started by another Temporal client may take a key nobody has used, once.
    return claimed(fresh({ ...c, state: 'claimed', runId: c.runId, origin: 'temporal', by: null }));
  }
  if (rec.request !== c.request) {
    return refuse(
      `Key "${c.key}" stands for another request${rec.runId ? ` (run ${rec.runId})` : ''}; this run's request differs. Nothing ran.`,
      rec,
    );
  }
  if (rec.runId === c.runId) return ownClaim(rec, c);
  switch (rec.state) {
    case 'reserved':
      return claimed(next(rec, { state: 'claimed', runId: c.runId, startedAt: now() }));
    case 'claimed':
      // A claim whose run ended before starting the script ran nothing: the key is free for its request.
      if (rec.runId && !(await c.isOpen(rec.runId))) {
        return claimed(
          next(rec, { state: 'claimed', runId: c.runId, startedAt: now() }),
          `took over from run ${rec.runId}, which ended before starting the script`,
        );
      }
      return refuse(
        `Key "${c.key}" is held by run ${rec.runId}, which has not started its script yet. Nothing ran.`,
        rec,
      );
    case 'running':
      return refuse(`Key "${c.key}" is held by run ${rec.runId}, whose script is running. Nothing ran.`, rec);
    default: {
      const g = rec.grant;
      if (g?.kind === 'retry' && c.grantToken !== undefined && c.grantToken === g.token) {
        return claimed(
          next(rec, {
            state: 'claimed',
            runId: c.runId,
            attempts: 0,
            grant: null,
            result: null,
            message: null,
            endedAt: null,
            startedAt: now(),
          }),
          `explicit retry of run ${g.of}${g.reason ? `: ${g.reason}` : ''}`,
          g.by,
        );
      }
      return refuse(
        `Key "${c.key}" already ran: run ${rec.runId} ended ${rec.state}. A key runs again only through an explicit retry. Nothing ran.`,
        rec,
      );
    }
  }
}

/** A claim by the run that already holds the key: an earlier attempt of the same run. */
function ownClaim(rec: KeyRecord, c: Claimant): Step<ClaimAnswer> {
  if (hasEnded(rec.state)) return { answer: { kind: 'ended', record: rec } };
  const spent =
    rec.state === 'running'
      ? rec.attempts >= c.attemptsAllowed
      : // Filled from Temporal while in flight: whether an earlier worker started it is unknown, so the
        // attempts Temporal made count, as they did before the store.
        rec.origin === 'backfill' && c.temporalAttempt > c.attemptsAllowed;
  if (!spent) return { answer: { kind: 'go', record: rec } };
  const message = `Attempt ${c.temporalAttempt} of ${c.script} refused: the worker's registry allows ${c.attemptsAllowed}, and an earlier attempt of run ${c.runId} started the script and stopped reporting (its worker stopped or timed out). Its outcome is unknown: it may or may not have done its work. Resolve it, or retry it explicitly if that is safe.`;
  const record = next(rec, {
    state: 'outcome_unknown',
    result: unreported(rec, 'outcome_unknown'),
    message,
    endedAt: now(),
  });
  return {
    answer: { kind: 'unknown', record },
    write: { record, event: event('ended', 'outcome_unknown', c.runId, null, message) },
  };
}

function refuse(reason: string, holder?: KeyRecord): Step<ClaimAnswer> {
  return { answer: { kind: 'refused', reason, holder } };
}

/**
 * Marks the script started, just before it is: the holder's next attempt. From here on a run that stops
 * reporting has an unknown outcome. Refused (undefined) unless the run still holds the key with an
 * attempt left.
 */
export async function markStarted(
  store: KeyStore,
  key: string,
  runId: string,
  attemptsAllowed: number,
): Promise<KeyRecord | undefined> {
  return transition(store, key, (rec) => {
    const mayStart =
      rec?.runId === runId &&
      (rec.state === 'claimed' || (rec.state === 'running' && rec.attempts < attemptsAllowed));
    if (!rec || !mayStart) return { answer: undefined };
    const record = next(rec, { state: 'running', attempts: rec.attempts + 1 });
    return {
      answer: record,
      write: { record, event: event('spawned', 'running', runId, null, `attempt ${record.attempts}`) },
    };
  });
}

/** How a run ended, as its activity saw it. */
export interface RunEnd {
  outcome: Outcome;
  result: RunResult;
  message?: string;
}

/**
 * Records how the holding run ended. Returns the key's record: the one written, or the one already there
 * when this run's end was recorded before (a retried activity), or undefined when the run no longer
 * holds the key.
 */
export async function recordEnd(
  store: KeyStore,
  key: string,
  runId: string,
  end: RunEnd,
): Promise<KeyRecord | undefined> {
  return transition(store, key, (rec) => {
    if (!rec || rec.runId !== runId) return { answer: undefined };
    if (hasEnded(rec.state)) return { answer: rec };
    const record = next(rec, {
      state: end.outcome,
      result: end.result,
      message: end.message ?? null,
      endedAt: now(),
    });
    return {
      answer: record,
      write: { record, event: event('ended', end.outcome, runId, null, end.message) },
    };
  });
}

/** What a caller of an explicit retry or resolve asks for. */
export interface GrantRequest {
  kind: Grant['kind'];
  /** The run to retry or resolve; it must still be the key's holder. */
  of: string;
  by: string;
  reason?: string;
}

/**
 * Lets one more run use an ended key: an explicit retry (a run carrying the grant's token may claim it)
 * or a resolve (a run carrying it may record what verify answers). A grant already pending for the same
 * run and kind is given again, so racing callers share one.
 */
export async function grant(store: KeyStore, key: string, g: GrantRequest): Promise<Grant> {
  return transition(store, key, (rec) => {
    if (!rec || rec.runId !== g.of || !hasEnded(rec.state)) {
      throw new RunStateError(
        `Run ${g.of} is not the ended run of "${key}" any more (it was retried or resolved since); read the key again.`,
      );
    }
    if (rec.grant && rec.grant.kind === g.kind && rec.grant.of === g.of) return { answer: rec.grant };
    const granted: Grant = {
      kind: g.kind,
      token: randomUUID(),
      of: g.of,
      by: g.by,
      ...(g.reason ? { reason: g.reason } : {}),
      at: now(),
    };
    const record = next(rec, { grant: granted });
    return {
      answer: granted,
      write: {
        record,
        event: event('granted', rec.state, g.of, g.by, `${g.kind}${g.reason ? `: ${g.reason}` : ''}`),
      },
    };
  });
}

/** Whether a resolve run may ask verify and record its answer: the key's pending resolve grant is its. */
export async function resolveGrant(
  store: KeyStore,
  key: string,
  token: string | undefined,
): Promise<KeyRecord | undefined> {
  const rec = await store.get(key);
  return rec?.state === 'outcome_unknown' && rec.grant?.kind === 'resolve' && rec.grant.token === token
    ? rec
    : undefined;
}

/**
 * Records verify's answer for the unknown run a resolve grant names: the resolve run becomes the key's
 * holder with that answer (succeeded, failed, or still unknown). Undefined when the grant is gone.
 */
export async function recordVerified(
  store: KeyStore,
  key: string,
  token: string,
  resolveRunId: string,
  end: RunEnd,
): Promise<KeyRecord | undefined> {
  return transition(store, key, (rec) => {
    if (rec?.state !== 'outcome_unknown' || rec.grant?.token !== token) return { answer: undefined };
    const record = next(rec, {
      state: end.outcome,
      runId: resolveRunId,
      attempts: 0,
      grant: null,
      result: end.result,
      message: end.message ?? null,
      startedAt: now(),
      endedAt: now(),
    });
    return {
      answer: record,
      write: {
        record,
        event: event(
          'ended',
          end.outcome,
          resolveRunId,
          rec.grant.by,
          `verify answered for run ${rec.grant.of}`,
        ),
      },
    };
  });
}

/** A run that Temporal says has ended, as the front door or a read saw it. */
export interface EndedRun {
  runId: string;
  status: Outcome;
  result?: RunResult;
  message?: string;
}

/**
 * Settles a key whose run has ended in Temporal without the store hearing how (terminated, cancelled
 * before its activity ran, or its worker's last write lost): a run that started its script ends as
 * Temporal says; one that never started it ran nothing, which is a definite failure an explicit retry may
 * run again. A key that has already ended, or that another run holds, is left as it is.
 */
export async function settle(store: KeyStore, key: string, run: EndedRun): Promise<KeyRecord | undefined> {
  return transition(store, key, (rec) => {
    if (!rec || hasEnded(rec.state)) return { answer: rec };
    if (rec.runId !== null && rec.runId !== run.runId) return { answer: rec };
    const { state, message } = settledAs(rec, run);
    const holder = { ...rec, runId: run.runId };
    const record = next(holder, {
      state,
      result: state === run.status && run.result ? run.result : unreported(holder, state),
      message,
      endedAt: now(),
    });
    return { answer: record, write: { record, event: event('settled', state, run.runId, null, message) } };
  });
}

/**
 * How a run that ended unreported leaves its key. The store knows what Temporal may not: whether the
 * script was started. Never started: a definite failure. Started: as Temporal says, except that a
 * failure without the script's result (an attempt that never got going after one that did) is unknown.
 * Filled from Temporal while in flight: whether it started is unknown, so Temporal's word stands.
 */
function settledAs(rec: KeyRecord, run: EndedRun): { state: Outcome; message: string } {
  const started = rec.state === 'running' || rec.origin === 'backfill';
  if (!started) {
    return {
      state: 'failed',
      message: `Run ${run.runId} ended (${run.status}) before its script started: nothing ran. Retry it to run it.`,
    };
  }
  if (run.status === 'failed' && !run.result?.attempt && rec.state === 'running') {
    return {
      state: 'outcome_unknown',
      message: `Run ${run.runId} started its script and stopped reporting before it ended (${run.message ?? 'no word from its worker'}): its outcome is unknown; it may or may not have done its work.`,
    };
  }
  return { state: run.status, message: run.message ?? `The run ended ${run.status}.` };
}

/** A key's run as Temporal recorded it, for a store being filled from Temporal's records. */
export interface TemporalRun {
  key: string;
  script: string;
  request: string;
  runId: string;
  startedAt: string;
  /** Absent while the run is open: the key is then claimed by it. */
  ended?: EndedRun & { at: string };
}

/**
 * The record of a key the store never saw, from Temporal's records. An open run is taken to hold the key
 * without having started its script yet, but since whether it did is unknown, its activity's attempts
 * count as before the store (see ownClaim).
 */
export function recordFromTemporal(run: TemporalRun): { record: KeyRecord; event: KeyEvent } {
  const base = fresh({ ...run, state: 'claimed', runId: run.runId, origin: 'backfill', by: null });
  const record: KeyRecord = run.ended
    ? {
        ...base,
        state: run.ended.status,
        result: run.ended.result ?? unreported(base, run.ended.status),
        message: run.ended.message ?? null,
        endedAt: run.ended.at,
      }
    : base;
  const filled = { ...record, startedAt: run.startedAt };
  return {
    record: filled,
    event: event('backfilled', filled.state, run.runId, null, 'filled from Temporal'),
  };
}

/** The result of a run whose script never reported back: no exit code, no output. */
function unreported(rec: KeyRecord, outcome: Outcome): RunResult {
  const at = now();
  const result: RunResult = {
    outcome,
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    startedAt: at,
    endedAt: at,
    durationMs: 0,
    attempt: rec.attempts,
    workflowId: rec.key,
    runId: rec.runId ?? '',
    request: rec.request,
  };
  return result;
}
