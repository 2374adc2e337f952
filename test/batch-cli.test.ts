// `superscript batch` and its siblings as a person or a cron line uses them: the built CLI as a child
// process, a client of the real API on the real server. Files in CSV, JSON lines and JSON; bad rows
// refused whole with their lines; --plan; progress as JSON lines when not at a terminal; paging; cancel.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, type Ran } from './support/cli.js';
import { startStack, uid, type Stack } from './support/harness.js';
import { httpJson } from './support/http.js';
import { FIXTURES } from './support/paths.js';

let stack: Stack;
before(async () => {
  // Small parts, so a few dozen orders take the CLI through several pages of orders.
  stack = await startStack({ api: true, batchShape: { partSize: 2, continueAsNewAfter: 3 } });
});
after(() => stack.stop());

const cli = (args: string[]): Promise<Ran> => runCli(args, stack.env, stack.dataDir);
const charges = (orderId: string) => stack.ledger().filter((l) => l.includes(` ${orderId} `)).length;
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

function file(name: string, text: string): string {
  const at = path.join(stack.dataDir, name);
  writeFileSync(at, text);
  return at;
}

/** Workflows under these IDs, counted through visibility. */
async function started(workflowIds: string[]): Promise<number> {
  const query = workflowIds.map((id) => `WorkflowId = '${id}'`).join(' OR ');
  return (await stack.client.workflow.count(query)).count;
}

test('a CSV file: every order charged once, progress as JSON lines; the same file again charges nothing', async () => {
  const orders = ids(`csv${uid()}`, 5);
  const csv = file('orders.csv', `orderId,amount\n${orders.map((o, i) => `${o},${i + 1}.50`).join('\n')}\n`);
  const first = await cli(['batch', csv]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /batch orders-[0-9a-f]{32} {2}succeeded \(started by this command\)/);
  assert.match(
    first.stdout,
    /5 orders: succeeded 5, failed 0, unknown 0, already done 0, conflict 0, pending 0/,
  );
  // Not a terminal: one JSON line per change of progress, the last one the end.
  const lines = first.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(lines.length >= 1);
  for (const l of lines) {
    assert.ok(!Number.isNaN(Date.parse(l.at)));
    assert.equal(l.total, 5);
  }
  assert.deepEqual(
    { status: lines.at(-1).status, done: lines.at(-1).done, succeeded: lines.at(-1).succeeded },
    { status: 'succeeded', done: 5, succeeded: 5 },
  );
  for (const o of orders) assert.equal(charges(o), 1);

  const again = await cli(['batch', csv]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already ended: its result replayed, nothing ran/);
  for (const o of orders) assert.equal(charges(o), 1);
});

test('a JSON lines file with --batch-id and --json; sent again it attaches; a JSON array of the same orders too', async () => {
  const orders = ids(`jsonl${uid()}`, 4);
  const text = orders.map((orderId) => JSON.stringify({ orderId, amount: 7 })).join('\n');
  const jsonl = file('orders.jsonl', `${text}\n\n`);
  const batchId = `cli-${uid()}`;
  const first = await cli(['batch', jsonl, '--batch-id', batchId, '--max-concurrent', '2', '--json']);
  assert.equal(first.code, 0, first.stderr);
  const body = JSON.parse(first.stdout);
  assert.equal(body.batchId, batchId);
  assert.equal(body.executed, true);
  assert.equal(body.progress.succeeded, 4);
  // By content: no extension, a JSON array.
  const array = file('orders-array', JSON.stringify(orders.map((orderId) => ({ orderId, amount: 7 }))));
  const again = await cli(['batch', array, '--batch-id', batchId, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).executed, false);
  for (const o of orders) assert.equal(charges(o), 1);
  // Other orders under that batch ID: the batch ID belongs to the first ones.
  const other = file('other.jsonl', JSON.stringify({ orderId: `x${uid()}`, amount: 1 }));
  const refused = await cli(['batch', other, '--batch-id', batchId]);
  assert.equal(refused.code, 120, refused.stderr);
});

test('bad rows: every one reported with its line, exit 125, nothing started', async () => {
  const p = `bad${uid()}`;
  const csv = file(
    'bad.csv',
    ['orderId,amount', `${p}-0,1`, `${p}-1,ten`, `${p}-2`, `${p}-0,2`, `bad id!,3`, `${p}-5,4`].join('\n'),
  );
  const res = await cli(['batch', csv]);
  assert.equal(res.code, 125);
  assert.match(res.stderr, /4 bad rows; nothing was started/);
  assert.match(res.stderr, /line 3: Argument "amount" of script "collect-payment" must be a number/);
  assert.match(res.stderr, /line 4: 1 fields, not 2/);
  assert.match(res.stderr, /line 5: order "[^"]+-0" appears twice \(also on line 2\)/);
  assert.match(res.stderr, /line 6: Argument "orderId"/);

  const jsonl = file(
    'bad.jsonl',
    [
      JSON.stringify({ orderId: `${p}-0`, amount: 1 }),
      '{"orderId": ',
      JSON.stringify({ orderId: `${p}-2`, amount: 1, note: 'x' }),
      JSON.stringify({ orderId: `${p}-3`, amount: '1' }),
    ].join('\n'),
  );
  const lines = await cli(['batch', jsonl]);
  assert.equal(lines.code, 125);
  assert.match(lines.stderr, /3 bad rows/);
  assert.match(lines.stderr, /line 2: not a JSON object/);
  assert.match(lines.stderr, /line 3: Unknown argument "note"/);
  assert.match(lines.stderr, /line 4: Argument "amount" of script "collect-payment" must be a number/);
  const header = await cli(['batch', file('header.csv', `order,amount\n${p}-9,1\n`)]);
  assert.equal(header.code, 125);
  assert.match(header.stderr, /line 1: the header row must name the columns orderId and amount/);

  assert.equal(await started(ids(p, 6).map((o) => `payment-${o}`)), 0);
  assert.equal(charges(`${p}-0`), 0);
});

test('--plan: new, already done and conflict, each with its orders; nothing started', async () => {
  const [done, conflict, fresh, foreign] = ids(`plan${uid()}`, 4) as [string, string, string, string];
  assert.equal((await cli(['pay', done, '5'])).code, 0);
  assert.equal((await cli(['pay', conflict, '5'])).code, 0);
  // A key held by a workflow that is not a SuperScript run: the batch would refuse it, so the plan does.
  const squatter = await stack.client.workflow.start('SomeoneElsesWorkflow', {
    workflowId: `payment-${foreign}`,
    taskQueue: `elsewhere-${uid()}`,
  });
  const csv = file('plan.csv', `orderId,amount\n${done},5\n${conflict},6\n${fresh},7\n${foreign},8\n`);
  const res = await cli(['batch', csv, '--plan']);
  assert.equal(res.code, 120, res.stderr);
  assert.match(
    res.stdout,
    /plan for 4 orders \(nothing was started\): new 1, already done 1, in flight 0, conflict 2/,
  );
  assert.match(res.stdout, new RegExp(`new \\(would be charged\\):\\n  ${fresh}  7\\n`));
  assert.match(
    res.stdout,
    new RegExp(`already done \\(would not run again\\):\\n  ${done}  5  succeeded\\n`),
  );
  assert.match(
    res.stdout,
    new RegExp(`conflict .*:\\n  ${conflict}  6  Key "payment-${conflict}" is already used`),
  );
  const json = await cli(['batch', csv, '--plan', '--json']);
  const report = JSON.parse(json.stdout);
  assert.deepEqual(report.counts, { new: 1, alreadyDone: 1, inFlight: 0, conflict: 2, bad: 0 });
  assert.deepEqual(
    report.orders.map((o: { orderId: string; status: string }) => [o.orderId, o.status]),
    [
      [done, 'already_done'],
      [conflict, 'conflict'],
      [fresh, 'new'],
      [foreign, 'conflict'],
    ],
  );
  assert.match(report.orders[3].message, /not a SuperScript run/);

  // A registry whose payment script declares no key template keys orders payment-<orderId> all the same.
  const untemplated = await runCli(['batch', csv, '--plan'], {
    ...stack.env,
    SUPERSCRIPT_CONFIG: path.join(FIXTURES, 'capped', 'registry.json'),
  });
  assert.equal(untemplated.code, 120, untemplated.stderr);
  assert.match(untemplated.stdout, /new 1, already done 1, in flight 0, conflict 2/);
  await squatter.terminate('test cleanup');
  assert.equal(await started([`payment-${fresh}`]), 0);
  assert.equal(charges(done) + charges(conflict) + charges(fresh), 2);
});

test('batch-orders pages through every order; --status filters', async () => {
  const orders = ids(`page${uid()}`, 42);
  const csv = file('page.csv', `orderId,amount\n${orders.map((o) => `${o},1`).join('\n')}\n`);
  const batchId = `pages-${uid()}`;
  const ran = await cli(['batch', csv, '--batch-id', batchId, '--max-concurrent', '20']);
  assert.equal(ran.code, 0, ran.stderr);
  // 21 parts of 2: the API reads at most 20 parts per page, so this takes two pages.
  const listed = await cli(['batch-orders', batchId]);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = listed.stdout.trim().split('\n');
  assert.deepEqual(
    rows.map((r) => r.split(/\s+/)[0]),
    orders,
  );
  assert.match(rows[0]!, new RegExp(`^${orders[0]}  succeeded +1  payment-${orders[0]}$`));
  const json = await cli(['batch-orders', batchId, '--status', 'succeeded', '--json']);
  assert.equal(json.stdout.trim().split('\n').length, 42);
  assert.equal(JSON.parse(json.stdout.split('\n')[41]!).orderId, orders[41]);
  const none = await cli(['batch-orders', batchId, '--status', 'failed']);
  assert.equal(none.code, 0);
  assert.equal(none.stdout, '');
});

test('batch-cancel stops a batch; --attach follows it to its end (exit 122); a second cancel is refused', async () => {
  const orders = ids(`cancel${uid()}`, 60);
  const jsonl = file(
    'cancel.jsonl',
    orders.map((orderId) => JSON.stringify({ orderId, amount: 2 })).join('\n'),
  );
  const batchId = `cancel-${uid()}`;
  const start = await cli(['batch', jsonl, '--batch-id', batchId, '--max-concurrent', '1', '--wait', '0']);
  assert.equal(start.code, 123, start.stderr);
  assert.match(start.stdout, /still running; follow it with `superscript batch --attach/);
  const cancel = await cli(['batch-cancel', batchId]);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stdout, /cancellation requested for batch/);
  const followed = await cli(['batch', '--attach', batchId, '--json']);
  assert.equal(followed.code, 122, followed.stderr);
  const end = JSON.parse(followed.stdout);
  assert.equal(end.status, 'cancelled');
  assert.ok(end.progress.pending > 0);
  const charged = orders.filter((o) => charges(o) === 1).length;
  assert.equal(charged, end.progress.succeeded);
  assert.ok(orders.every((o) => charges(o) <= 1));
  const pending = await cli(['batch-orders', batchId, '--status', 'pending']);
  assert.equal(pending.stdout.trim().split('\n').length, end.progress.pending);
  const again = await cli(['batch-cancel', batchId]);
  assert.equal(again.code, 125);
  assert.match(again.stderr, /has already ended/);
});

test('--script: a CSV of another script keyed by its template; a row run singly is already done, a changed one a conflict', async () => {
  const tags = ids(`cs${uid()}`, 4) as [string, string, string, string];
  const single = (tag: string, code: number) =>
    httpJson(stack.api!.url, 'POST', '/v1/runs?wait=30s', {
      script: 'tell',
      args: { tag, seconds: 0, code },
    });
  assert.equal((await single(tags[0], 0)).body.status, 'succeeded');
  assert.equal((await single(tags[1], 3)).body.status, 'failed');
  const csv = file('tell.csv', `tag,seconds,code\n${tags.map((t) => `${t},0,0`).join('\n')}\n`);

  const plan = await cli(['batch', csv, '--script', 'tell', '--plan']);
  assert.equal(plan.code, 120, plan.stderr);
  assert.match(
    plan.stdout,
    /plan for 4 rows \(nothing was started\): new 2, already done 1, in flight 0, conflict 1/,
  );
  assert.match(
    plan.stdout,
    new RegExp(`new \\(would run\\):\\n  tell-${tags[2]}  tag=${tags[2]} seconds=0 code=0\\n`),
  );
  assert.match(plan.stdout, new RegExp(`conflict .*:\\n  tell-${tags[1]}  tag=${tags[1]} .*is already used`));
  assert.equal(stack.executions(tags[2]).length, 0, 'the plan started nothing');

  const res = await cli(['batch', csv, '--script', 'tell']);
  assert.equal(res.code, 120, res.stderr);
  assert.match(res.stdout, /batch tell-[0-9a-f]{32} {2}succeeded \(started by this command\)/);
  assert.match(
    res.stdout,
    /4 orders: succeeded 2, failed 0, unknown 0, already done 1, conflict 1, pending 0/,
  );
  for (const t of tags) assert.equal(stack.executions(t).length, 1, `${t} ran once`);
  const batchId = /batch (tell-[0-9a-f]{32})/.exec(res.stdout)![1]!;
  const listed = await cli(['batch-orders', batchId]);
  assert.deepEqual(
    listed.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/).slice(0, 2)),
    [
      [`tell-${tags[0]}`, 'already_done'],
      [`tell-${tags[1]}`, 'conflict'],
      [`tell-${tags[2]}`, 'succeeded'],
      [`tell-${tags[3]}`, 'succeeded'],
    ],
  );
  const again = await cli(['batch', csv, '--script', 'tell']);
  assert.match(again.stdout, /already ended: its result replayed, nothing ran/);
  for (const t of tags) assert.equal(stack.executions(t).length, 1);
});

test('--script with a key field: JSON lines of a script without a key template run under their own keys', async () => {
  const p = `ck${uid()}`;
  const rows = ids(p, 3).map((tag, i) => ({ key: `${p}-key-${i}`, seconds: 0, tag }));
  const jsonl = file('sleeper.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
  const res = await cli(['batch', jsonl, '--script', 'sleeper', '--json']);
  assert.equal(res.code, 0, res.stderr);
  const view = JSON.parse(res.stdout);
  assert.equal(view.progress.succeeded, 3);
  assert.equal(view.request.script, 'sleeper');
  for (const r of rows) assert.equal(stack.executions(r.tag)[0]?.split(' ')[0], r.key);
});

test('--script bad rows: every one reported with its line, exit 125, nothing started', async () => {
  const p = `cb${uid()}`;
  const csv = file(
    'bad-tell.csv',
    [
      'tag,seconds,code,key',
      `${p}-0,0,0,`,
      `${p}-1,0,300,`,
      `${p}-0,0,0,`,
      `${p}-3,0,0,other-key`,
      `${p}-4,0,0,`,
    ].join('\n'),
  );
  const res = await cli(['batch', csv, '--script', 'tell']);
  assert.equal(res.code, 125, res.stderr);
  assert.match(res.stderr, /3 bad rows; nothing was started/);
  assert.match(res.stderr, /line 3: Argument "code" of script "tell" must be at most 255/);
  assert.match(res.stderr, new RegExp(`line 4: key "tell-${p}-0" appears twice \\(also on line 2\\)`));
  assert.match(res.stderr, /line 5: .*leave the key out/);
  const keyless = await cli([
    'batch',
    file('keyless.jsonl', JSON.stringify({ seconds: 0, tag: `${p}-s` })),
    '--script',
    'sleeper',
  ]);
  assert.equal(keyless.code, 125);
  assert.match(keyless.stderr, /line 1: An idempotency key is required/);
  const header = await cli(['batch', file('bad-header.csv', `tag,code\n${p}-9,0\n`), '--script', 'tell']);
  assert.equal(header.code, 125);
  assert.match(header.stderr, /line 1: the header row must name the columns tag and seconds and code/);
  const unknown = await cli(['batch', csv, '--script', 'no-such']);
  assert.equal(unknown.code, 125);
  assert.match(unknown.stderr, /Unknown script "no-such"/);
  assert.equal(await started(ids(p, 5).map((t) => `tell-${t}`)), 0);
  for (const t of ids(p, 5)) assert.equal(stack.executions(t).length, 0);
});
