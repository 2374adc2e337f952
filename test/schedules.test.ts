// Schedules on a real Temporal server: every fire is an ordinary run under the key its template forms from
// the fire's scheduled time, so a fire that overlaps a slow script is skipped (and counted), a backfill over
// fires that ran runs nothing again, a paused schedule does not fire, a trigger runs now, a cron `exec` line
// under a fire's key runs once with it, and a bad request creates nothing. Executions are counted from the
// script's own output file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createToken, revokeToken } from '../src/config/tokens.js';
import { ConfigError, InvalidRequestError, ScheduleNotFoundError } from '../src/errors.js';
import { ScheduleService } from '../src/schedules/service.js';
import type { ScheduleRequest } from '../src/shared/schemas/schedules.js';
import { ApiClient, ApiError } from '../src/shared/api-client.js';
import { runCli } from './support/cli.js';
import { FIXTURES } from './support/paths.js';
import { parse, total } from './support/prometheus.js';
import { startStack, uid, type Stack } from './support/harness.js';
import { eventually, sleep } from './support/poll.js';
import { causes } from './support/failures.js';

const tokensFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'superscript-schedules-')), 'tokens.json');
const token = {
  scheduler: createToken(tokensFile, 'scheduler', ['schedule', 'run:sleeper']),
  schedulerOfOthers: createToken(tokensFile, 'scheduler-of-others', ['schedule', 'run:exit-with']),
  runner: createToken(tokensFile, 'runner', ['run:sleeper']),
  leaving: createToken(tokensFile, 'leaving', ['schedule', 'run:sleeper']),
};

let stack: Stack;
let schedules: ScheduleService;
before(async () => {
  // Fresh /metrics on every scrape.
  stack = await startStack({ api: { tokensFile, batchGauges: { intervalMs: 0 } } });
  schedules = new ScheduleService(stack.runs);
});
const client = (t: string) => new ApiClient({ baseUrl: stack.api!.url, token: () => t });
const refusedWith = (status: number) => (err: unknown) => err instanceof ApiError && err.status === status;
after(async () => {
  for (const s of await schedules.list()) await schedules.delete(s.name);
  await stack.stop();
});

/** The keys the sleeper ran under, one line per execution of its script. */
const executedKeys = (tag: string) => stack.executions(tag).map((line) => line.split(' ')[0]!);

/** Waits until the schedule has no fire running (its last run has ended). */
async function idle(name: string): Promise<void> {
  const handle = stack.client.schedule.getHandle(`${name}@${stack.taskQueue}`);
  await eventually(
    `${name} to have no fire running`,
    async () => ((await handle.describe()).info.runningActions.length === 0 ? true : undefined),
    30_000,
    200,
  );
}

test('a 1-second schedule over a slower script: overlapping fires are skipped and counted, each key runs once', async () => {
  const tag = `slow-${uid()}`;
  const name = `slow-${uid()}`;
  const created = await schedules.create(
    { name, script: 'sleeper', args: { seconds: 2.5, tag }, every: '1s' },
    'scheduler',
  );
  assert.equal(created.overlap, 'skip');
  assert.equal(created.catchUpWindowSeconds, 60);
  assert.equal(created.createdBy, 'scheduler');
  assert.ok(created.nextFires.length > 0);
  await eventually('three executions', () => (executedKeys(tag).length >= 3 ? true : undefined), 30_000, 200);
  await schedules.pause(name, 'enough');
  await idle(name);
  const keys = executedKeys(tag);
  assert.equal(new Set(keys).size, keys.length, `a key ran twice: ${keys.join(', ')}`);
  for (const key of keys)
    assert.match(key, new RegExp(`^${name}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
  const view = await schedules.describe(name);
  assert.ok(view.fires.skippedOverlap >= 2, `skipped ${view.fires.skippedOverlap}`);
  assert.equal(view.paused, true);
  assert.equal(view.note, 'enough');
  // Each fire taken is a run, under the key the view names for it.
  for (const fire of view.lastFires) assert.ok(keys.includes(fire.key), `${fire.key} did not run`);
  for (const key of keys) assert.equal((await stack.runs.read(key)).status, 'succeeded');
});

test('a backfill over fires that already ran runs nothing again', async () => {
  const tag = `back-${uid()}`;
  const name = `back-${uid()}`;
  await schedules.create(
    { name, script: 'sleeper', args: { seconds: 0, tag }, every: '1s', overlap: 'allow-all' },
    'scheduler',
  );
  await eventually('three executions', () => (executedKeys(tag).length >= 3 ? true : undefined), 30_000, 200);
  await schedules.pause(name);
  await idle(name);
  const before = executedKeys(tag);
  const ran = (await schedules.describe(name)).lastFires;
  const from = new Date(Date.parse(ran[0]!.scheduledAt) - 500).toISOString();
  const to = new Date(Date.parse(ran.at(-1)!.scheduledAt) + 500).toISOString();
  const taken = (await schedules.describe(name)).fires.taken;
  await schedules.backfill(name, { from, to });
  await eventually(
    'the backfill taken',
    async () => ((await schedules.describe(name)).fires.taken >= taken + ran.length ? true : undefined),
    30_000,
    200,
  );
  await idle(name);
  assert.deepEqual(executedKeys(tag), before);
  await assert.rejects(schedules.backfill(name, { from: to, to: from }), InvalidRequestError);
});

test('a paused schedule does not fire; unpaused, it fires again', async () => {
  const tag = `pause-${uid()}`;
  const name = `pause-${uid()}`;
  await schedules.create({ name, script: 'sleeper', args: { seconds: 0, tag }, every: '1s' }, 'scheduler');
  await eventually(
    'a first execution',
    () => (executedKeys(tag).length >= 1 ? true : undefined),
    30_000,
    200,
  );
  await schedules.pause(name, 'maintenance');
  await idle(name);
  const paused = executedKeys(tag).length;
  await sleep(3000);
  assert.equal(executedKeys(tag).length, paused);
  const view = await schedules.unpause(name, 'back');
  assert.equal(view.paused, false);
  await eventually(
    'a fire after unpause',
    () => (executedKeys(tag).length > paused ? true : undefined),
    30_000,
    200,
  );
});

test('trigger runs a fire now, under the key of its second', async () => {
  const tag = `trig-${uid()}`;
  const name = `trig-${uid()}`;
  await schedules.create(
    {
      name,
      script: 'sleeper',
      args: { seconds: 0, tag },
      cron: '0 0 1 1 *',
      key: `nightly-{tag}-{scheduledTime}`,
    },
    'scheduler',
  );
  const view = await schedules.trigger(name);
  assert.equal(view.fires.taken, 1);
  const key = await eventually('the triggered execution', () => executedKeys(tag)[0], 30_000, 200);
  assert.match(key, new RegExp(`^nightly-${tag}-\\d{4}-`));
  assert.equal(key, (await schedules.describe(name)).lastFires[0]!.key);
});

test('a cron `exec` line and a schedule firing the same key run it once; the later one is refused as a conflict', async () => {
  const tag = `shared-${uid()}`;
  const name = `shared-${uid()}`;
  const file = path.join(stack.dataDir, `${tag}.exec.log`);
  const exec = (key: string) =>
    runCli(['exec', '--key', key, '--', 'bash', '-c', `echo ${key} >> ${file}`], stack.env);
  const execLines = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  // Yearly at midnight UTC: it fires only when triggered or backfilled here.
  await schedules.create(
    {
      name,
      script: 'sleeper',
      args: { seconds: 0, tag },
      cron: '0 0 1 1 *',
      key: `shared-${tag}-{scheduledTime}`,
    },
    'scheduler',
  );

  // The cron line first: the schedule's backfilled fire of that second finds the key taken by another
  // request, and runs nothing.
  const newYear = `shared-${tag}-2026-01-01T00:00:00Z`;
  assert.equal((await exec(newYear)).code, 0);
  await schedules.backfill(name, { from: '2025-12-31T23:59:59Z', to: '2026-01-01T00:00:01Z' });
  await eventually(
    'the backfilled fire taken',
    async () => ((await schedules.describe(name)).fires.taken >= 1 ? true : undefined),
    30_000,
    200,
  );
  await idle(name);
  assert.equal(
    (await stack.runs.read(newYear)).status,
    'succeeded',
    "the key's run is still the cron line's",
  );
  // The fire failed on the conflict, saying so (not on anything else).
  const fire = await eventually(
    'the backfilled fire in visibility',
    async () => {
      const query = `TemporalScheduledById = '${name}@${stack.taskQueue}'`;
      for await (const w of stack.client.workflow.list({ query })) return w;
      return undefined;
    },
    30_000,
    200,
  );
  const failure = await stack.client.workflow
    .getHandle(fire.workflowId)
    .result()
    .then(() => 'succeeded', causes);
  assert.match(failure, /is already used by a run of script "exec", not "sleeper"/);

  // The schedule first: the cron line with that fire's key is refused (exit 120) and runs nothing.
  await schedules.trigger(name);
  const fired = await eventually('the triggered execution', () => executedKeys(tag)[0], 30_000, 200);
  const late = await exec(fired);
  assert.equal(late.code, 120, late.stderr);
  assert.match(late.stderr, /is already used by a run of script "sleeper", not "exec"/);

  assert.deepEqual(execLines(), [newYear], 'the exec command ran once, for its own key');
  assert.deepEqual(executedKeys(tag), [fired], 'the script ran once, for the fire that came first');
});

test('bad requests are refused and create nothing', async () => {
  const name = `bad-${uid()}`;
  const refused: ScheduleRequest[] = [
    { name, script: 'no-such-script', every: '1m' },
    { name, script: 'sleeper', args: { seconds: 0, tag: 'x' }, cron: 'not a cron' },
    { name, script: 'sleeper', args: { seconds: 'soon', tag: 'x' }, every: '1m' },
    { name, script: 'sleeper', args: { seconds: 0, tag: 'x' }, every: '1m', key: 'same-every-time' },
    { name, script: 'sleeper', args: { seconds: 0, tag: 'x' }, every: '1m', key: 'x-{nope}-{scheduledTime}' },
    { name, script: 'collect-payment', args: { orderId: 'o1', amount: 1 }, every: '1m' },
    { name, script: 'sleeper', args: { seconds: 0, tag: 'x' }, every: '1m', timezone: 'Mars/Olympus' },
  ];
  for (const request of refused) {
    await assert.rejects(
      schedules.create(request, 'scheduler'),
      InvalidRequestError,
      JSON.stringify(request),
    );
    await assert.rejects(schedules.describe(name), ScheduleNotFoundError);
  }
});

test('over HTTP: creating takes the schedule scope and run: for the script, and is recorded as by the creator', async () => {
  const name = `http-${uid()}`;
  const tag = `http-${uid()}`;
  const request = { name, script: 'sleeper', args: { seconds: 0, tag }, cron: '0 0 1 1 *' };
  await assert.rejects(client(token.runner).createSchedule(request), refusedWith(403));
  await assert.rejects(client(token.schedulerOfOthers).createSchedule(request), refusedWith(403));
  await assert.rejects(
    client(token.scheduler).createSchedule({ ...request, cron: '99 99 * * *' }),
    refusedWith(400),
  );
  await assert.rejects(client(token.scheduler).describeSchedule(name), refusedWith(404));

  const created = await client(token.scheduler).createSchedule(request);
  assert.equal(created.createdBy, 'scheduler');
  await assert.rejects(client(token.scheduler).createSchedule(request), refusedWith(409));
  // Reading takes what listing runs takes; changing takes the schedule scope.
  assert.equal((await client(token.runner).describeSchedule(name)).name, name);
  await assert.rejects(client(token.runner).pauseSchedule(name, true, 'no'), refusedWith(403));
  await assert.rejects(client(token.schedulerOfOthers).describeSchedule(name), refusedWith(404));
  const paused = await client(token.scheduler).pauseSchedule(name, true, 'holiday');
  assert.deepEqual([paused.paused, paused.note], [true, 'holiday']);
  await client(token.scheduler).triggerSchedule(name);
  const key = await eventually('the triggered execution', () => executedKeys(tag)[0], 30_000, 200);
  // The fire's run records who it ran for: the schedule's creator.
  const report = await client(token.runner).keyReport(key);
  assert.match(report.record.by ?? '', /^scheduler \(schedule /);
  const listed = await client(token.runner).listSchedules();
  assert.ok(listed.schedules.some((s) => s.name === name));
  await client(token.scheduler).deleteSchedule(name);
  await assert.rejects(client(token.scheduler).describeSchedule(name), refusedWith(404));
});

test('skipped fires are counted on /metrics and shown by `superscript schedule describe`', async () => {
  const name = `metric-${uid()}`;
  const tag = `metric-${uid()}`;
  await schedules.create({ name, script: 'sleeper', args: { seconds: 2.5, tag }, every: '1s' }, 'scheduler');
  const skipped = await eventually(
    'a skipped fire on /metrics',
    async () => {
      const res = await fetch(`${stack.api!.url}/metrics`, {
        headers: { authorization: `Bearer ${token.runner}` },
      });
      const count = total(parse(await res.text()), 'superscript_schedule_fires_skipped_total', {
        schedule: name,
      });
      return count > 0 ? count : undefined;
    },
    30_000,
    500,
  );
  assert.ok(skipped >= 1);
  await schedules.pause(name, 'done');
  const ran = await runCli(['schedule', 'describe', name], {
    ...stack.env,
    SUPERSCRIPT_TOKEN: token.scheduler,
  });
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /paused {2}\(done\)/);
  assert.match(ran.stdout, /[1-9]\d* skipped \(overlap\)/);
});

test("a schedule whose creator's token is revoked pauses, saying why, and runs nothing", async () => {
  const name = `revoked-${uid()}`;
  const tag = `revoked-${uid()}`;
  await client(token.leaving).createSchedule({
    name,
    script: 'sleeper',
    args: { seconds: 0, tag },
    cron: '0 0 1 1 *',
  });
  revokeToken(tokensFile, 'leaving');
  await client(token.scheduler).triggerSchedule(name);
  const view = await eventually(
    'the schedule paused',
    async () => {
      const v = await schedules.describe(name);
      return v.paused ? v : undefined;
    },
    30_000,
    200,
  );
  assert.match(view.note ?? '', /token "leaving" is revoked/);
  await idle(name);
  assert.deepEqual(executedKeys(tag), []);
});

const SLEEPER_ARGS = [
  { name: 'seconds', type: 'number', minimum: 0, maximum: 600 },
  { name: 'tag', type: 'string', pattern: '^[a-z0-9-]+$' },
];

test('schedules declared in the config file are created as declared, updated when changed, never taken over', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-declared-'));
  const registryFile = path.join(dir, 'superscript.config.json');
  const name = `declared-${uid()}`;
  const declared = { script: 'sleeper', args: { seconds: 0, tag: 'declared' }, cron: '0 0 1 1 *' };
  writeFileSync(
    registryFile,
    JSON.stringify({
      scripts: { sleeper: { path: path.join(FIXTURES, 'scripts', 'sleeper.sh'), args: SLEEPER_ARGS } },
      schedules: { [name]: declared },
    }),
  );
  const own = await startStack({ registryFile, api: true });
  try {
    const view = await new ScheduleService(own.runs).describe(name);
    assert.equal(view.createdBy, '(config file)');
    assert.equal(view.cron, declared.cron);
    // Declared again as it is: left alone. Changed: updated to the declaration, still paused, with its note.
    const service = new ScheduleService(own.runs);
    await service.pause(name, 'hold');
    await service.declare([{ name, ...declared }]);
    assert.equal((await service.describe(name)).note, 'hold');
    await service.declare([{ name, ...declared, cron: '0 0 2 1 *' }]);
    const changed = await service.describe(name);
    assert.deepEqual([changed.cron, changed.paused, changed.note], ['0 0 2 1 *', true, 'hold']);
    // A wrong declaration changes nothing.
    for (const wrong of [{ args: { seconds: 'x', tag: 'declared' } }, { cron: 'not a cron' }]) {
      await assert.rejects(service.declare([{ name, ...declared, ...wrong }]), ConfigError);
      assert.equal((await service.describe(name)).cron, '0 0 2 1 *');
    }
    // A schedule a token created is not the config file's to change.
    const taken = `taken-${uid()}`;
    await service.create({ name: taken, ...declared }, 'scheduler');
    await assert.rejects(service.declare([{ name: taken, ...declared, cron: '0 0 3 1 *' }]), ConfigError);
    for (const s of await service.list()) await service.delete(s.name);
  } finally {
    await own.stop();
  }
});
