// Who may do what, on the real server: bearer tokens from a tokens file (hashes only), scopes per route,
// refusals (401, 403, 404 for runs a token may not see, 415, 421) that start, cancel, retry, schedule and prune nothing,
// revocation without a restart, the token commands, and the API refusing to start open beyond loopback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { TokenStore, createToken, loadTokens, revokeToken } from '../src/config/tokens.js';
import { freePort } from '../src/devserver/free-port.js';
import { batchWorkflowId } from '../src/shared/ids.js';
import { runCli } from './support/cli.js';
import { describeRun } from '../src/runs/read.js';
import { ApiClient } from '../src/shared/api-client.js';
import { startStack, type Stack } from './support/harness.js';
import { FIXTURE_REGISTRY, ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';

const uid = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-auth-'));
const tokensFile = path.join(dir, 'tokens.json');

// Made with the tokens module before the API starts; `revoked` is revoked while it runs.
const token = {
  admin: createToken(tokensFile, 'admin', ['admin']),
  payer: createToken(tokensFile, 'payer', ['run:collect-payment']),
  sleeperRunner: createToken(tokensFile, 'sleeper-runner', ['run:sleeper']),
  reader: createToken(tokensFile, 'reader', ['read']),
  operator: createToken(tokensFile, 'operator', ['retry', 'cancel', 'run:exit-with']),
  watcher: createToken(tokensFile, 'watcher', ['read', 'retry', 'cancel', 'run:exit-with']),
  cancelOnly: createToken(tokensFile, 'cancel-only', ['cancel']),
  runScheduler: createToken(tokensFile, 'run-scheduler', ['schedule', 'run:exit-with']),
  revoked: createToken(tokensFile, 'revoked', ['admin']),
};

let stack: Stack;
before(async () => {
  stack = await startStack({ api: { tokensFile } });
  revokeToken(tokensFile, 'revoked');
});
after(() => stack.stop());

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: string; message?: string; [k: string]: unknown };
}

/** A request with a bearer token (or a raw Authorization value); every POST says JSON, as it must. */
async function call(
  method: string,
  url: string,
  auth: { token?: string; header?: string },
  body?: unknown,
): Promise<Answer> {
  const api = new ApiClient({ baseUrl: stack.api!.url, token: () => auth.token });
  const res = await api.send<Answer['body']>(
    method,
    url,
    body,
    auth.header ? { authorization: auth.header } : {},
  );
  return { ...res, body: res.body ?? {} };
}

const as = (t: string) => ({ token: t });
const startSleeper = (key: string, tag: string, t = token.admin) =>
  call('POST', '/v1/runs?wait=0ms', as(t), { script: 'sleeper', args: { seconds: 25, tag }, key });
const countRuns = async (query: string) =>
  (await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}' AND ${query}`)).count;

test('every route refuses a missing, malformed, unknown or revoked token and a missing scope; nothing starts, is cancelled, retried, scheduled or pruned', async () => {
  const tag = `a${uid()}`.toLowerCase();
  const sleeperKey = `auth-sleeper-${uid()}`;
  const failedKey = `auth-failed-${uid()}`;
  const batchId = `auth-batch-${uid()}`;
  const paidOrder = `auth-paid-${uid()}`;
  assert.equal((await startSleeper(sleeperKey, tag)).status, 202);
  const failed = await call('POST', '/v1/runs', as(token.admin), {
    script: 'exit-with',
    args: { code: 2 },
    key: failedKey,
  });
  assert.equal(failed.body.status, 'failed');
  const batch = await call('POST', '/v1/batches?wait=20s', as(token.admin), {
    batchId,
    orders: [{ orderId: paidOrder, amount: 1 }],
  });
  assert.equal(batch.status, 200);

  // Each start request uses IDs of its own, so one that was wrongly accepted would start a new run.
  const refusedIds: string[] = [];
  const refusedTag = `r${uid()}`.toLowerCase();
  const starts = () => {
    const n = uid();
    refusedIds.push(`auth-r-${n}`, `payment-auth-r-${n}`, batchWorkflowId(`auth-r-${n}`));
    return [
      [
        'POST',
        '/v1/runs',
        { script: 'sleeper', args: { seconds: 0, tag: refusedTag }, key: `auth-r-${n}` },
      ] as const,
      ['POST', '/v1/payments', { orderId: `auth-r-${n}`, amount: 1 }] as const,
      [
        'POST',
        '/v1/batches',
        { batchId: `auth-r-${n}`, orders: [{ orderId: `auth-r-${n}`, amount: 1 }] },
      ] as const,
    ];
  };
  const onRuns = [
    ['GET', '/v1/runs', undefined],
    ['GET', `/v1/runs/${sleeperKey}`, undefined],
    ['POST', `/v1/runs/${sleeperKey}/cancel`, undefined],
    ['POST', `/v1/runs/${failedKey}/retry`, { reason: 'should not happen' }],
    ['GET', `/v1/batches/${batchId}`, undefined],
    ['GET', '/v1/batches', undefined],
    ['POST', '/v1/batches/plan', { orders: [{ orderId: `auth-plan-${uid()}`, amount: 1 }] }],
    ['GET', '/v1/whoami', undefined],
  ] as const;
  // Schedules, notifications and keys: a refused schedule would be created under this name, a refused
  // prune would remove the failed run's key (it ended before `now`).
  const refusedSchedule = `auth-s-${uid()}`;
  const now = new Date().toISOString();
  const scheduleRequest = {
    name: refusedSchedule,
    script: 'sleeper',
    args: { seconds: 0, tag: refusedTag },
    every: '1s',
  };
  const onTheRest = [
    ['GET', '/v1/schedules', undefined],
    ['POST', '/v1/schedules', scheduleRequest],
    ['GET', `/v1/schedules/${refusedSchedule}`, undefined],
    ['POST', `/v1/schedules/${refusedSchedule}/trigger`, undefined],
    ['DELETE', `/v1/schedules/${refusedSchedule}`, undefined],
    ['GET', '/v1/notifications', undefined],
    ['GET', `/v1/keys/${failedKey}`, undefined],
    ['POST', '/v1/keys/prune', { before: now }],
  ] as const;

  const unauthenticated: [string, { token?: string; header?: string }, RegExp][] = [
    ['no token', {}, /needs a token/],
    ['malformed header', { header: `Basic ${Buffer.from('a:b').toString('base64')}` }, /Malformed/],
    ['bearer without a token', { header: 'Bearer' }, /Malformed/],
    ['unknown token', { token: `ss_${'A'.repeat(43)}` }, /unknown or revoked/],
    ['revoked token', { token: token.revoked }, /unknown or revoked/],
  ];
  for (const [what, auth, message] of unauthenticated) {
    for (const [method, url, body] of [...starts(), ...onRuns, ...onTheRest]) {
      const res = await call(method, url, auth, body);
      assert.equal(res.status, 401, `${what}: ${method} ${url} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'unauthorized');
      assert.match(res.body.message ?? '', message);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
  }

  // A token lacking the scope: 403, or 404 where it may not even see the run.
  const [runStart, paymentStart, batchStart] = starts();
  const lacking: [string, string, string, unknown, number, RegExp][] = [
    ['payer', ...runStart!, 403, /may not start runs of sleeper: that needs run:sleeper/],
    ['sleeperRunner', ...paymentStart!, 403, /needs run:collect-payment/],
    ['reader', ...batchStart!, 403, /needs run:collect-payment/],
    ['cancelOnly', 'GET', '/v1/runs', undefined, 403, /may not list runs: that needs read, or run:<script>/],
    ['cancelOnly', 'GET', `/v1/runs/${sleeperKey}`, undefined, 403, /needs read/],
    ['payer', 'GET', `/v1/runs/${sleeperKey}`, undefined, 404, /No run with workflow ID/],
    ['reader', 'POST', `/v1/runs/${sleeperKey}/cancel`, undefined, 403, /needs cancel and run:<script>/],
    ['watcher', 'POST', `/v1/runs/${sleeperKey}/cancel`, undefined, 403, /needs cancel and run:sleeper/],
    ['operator', 'POST', `/v1/runs/${sleeperKey}/cancel`, undefined, 404, /No run with workflow ID/],
    ['payer', 'POST', `/v1/runs/${failedKey}/retry`, {}, 403, /needs retry and run:<script>/],
    ['watcher', 'POST', `/v1/runs/${sleeperKey}/retry`, {}, 403, /needs retry and run:sleeper/],
    ['sleeperRunner', 'GET', `/v1/batches/${batchId}`, undefined, 404, /No run with workflow ID/],
    ['cancelOnly', 'GET', `/v1/batches/${batchId}`, undefined, 403, /needs read/],
    ['cancelOnly', 'GET', '/v1/batches', undefined, 403, /may not list runs/],
    [
      'reader',
      'POST',
      '/v1/batches/plan',
      { orders: [{ orderId: 'auth-plan', amount: 1 }] },
      403,
      /needs run:collect-payment/,
    ],
    ['cancelOnly', 'GET', '/v1/schedules', undefined, 403, /may not list runs/],
    ['reader', 'POST', '/v1/schedules', scheduleRequest, 403, /needs schedule/],
    [
      'runScheduler',
      'POST',
      '/v1/schedules',
      scheduleRequest,
      403,
      /schedule runs of sleeper: that needs run:sleeper/,
    ],
    ['sleeperRunner', 'POST', `/v1/schedules/${refusedSchedule}/trigger`, undefined, 403, /needs schedule/],
    ['reader', 'GET', '/v1/notifications', undefined, 403, /needs admin/],
    ['watcher', 'POST', '/v1/keys/prune', { before: now }, 403, /needs admin/],
    ['payer', 'GET', `/v1/keys/${failedKey}`, undefined, 404, /No run with workflow ID/],
  ];
  for (const [who, method, url, body, status, message] of lacking) {
    const res = await call(method, url, as(token[who as keyof typeof token]), body);
    assert.equal(res.status, status, `${who}: ${method} ${url} → ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, status === 403 ? 'forbidden' : 'not_found');
    assert.match(res.body.message ?? '', message, `${who}: ${method} ${url}`);
  }

  // Nothing happened: a sentinel run started after all the refusals is visible, and none of theirs is.
  const sentinel = `auth-sentinel-${uid()}`;
  await call('POST', '/v1/runs', as(token.admin), { script: 'exit-with', args: { code: 0 }, key: sentinel });
  await eventually(
    'the sentinel run in visibility',
    async () => ((await countRuns(`WorkflowId = '${sentinel}'`)) === 1 ? true : undefined),
    10_000,
  );
  const ids = refusedIds.map((id) => `'${id}'`).join(', ');
  assert.equal(await countRuns(`WorkflowId IN (${ids})`), 0, 'no refused request started a run');
  assert.equal(await countRuns(`WorkflowId = '${failedKey}'`), 1, 'the failed run was not retried');
  assert.equal((await describeRun(stack.runs, sleeperKey)).status.name, 'RUNNING', 'not cancelled');
  assert.deepEqual(stack.executions(refusedTag), [], 'no refused sleeper ran');
  assert.equal(stack.executions(tag).length, 1);
  assert.equal(stack.ledger().filter((l) => l.includes(' auth-r-')).length, 0, 'nothing charged');
  const schedules = [];
  for await (const s of stack.client.schedule.list()) schedules.push(s.scheduleId);
  assert.ok(!schedules.some((id) => id.startsWith(refusedSchedule)), 'no refused schedule was created');
  const kept = await call('GET', `/v1/keys/${failedKey}`, as(token.reader));
  assert.equal(kept.status, 200, 'no refused prune removed a key');

  const cancelled = await call('POST', `/v1/runs/${sleeperKey}/cancel`, as(token.admin));
  assert.equal(cancelled.status, 200, 'admin may do it all');
});

test('scopes allow what they name: run:X starts and reads X, read reads all, retry and cancel act on X', async () => {
  const orderId = `auth-pay-${uid()}`;
  const paid = await call('POST', '/v1/payments', as(token.payer), { orderId, amount: 3 });
  assert.equal(paid.status, 200);
  assert.equal(paid.body.executed, true);
  assert.equal((await call('GET', `/v1/runs/payment-${orderId}`, as(token.payer))).status, 200);
  assert.equal((await call('GET', `/v1/runs/payment-${orderId}`, as(token.reader))).status, 200);
  // A run it may not read answers exactly as a run that does not exist.
  const hidden = await call('GET', `/v1/runs/payment-${orderId}`, as(token.sleeperRunner));
  const missing = await call('GET', `/v1/runs/payment-${orderId}-none`, as(token.sleeperRunner));
  assert.deepEqual(
    [hidden.status, hidden.body.error, hidden.body.message?.replace(/"[^"]*"/, 'ID')],
    [missing.status, missing.body.error, missing.body.message?.replace(/"[^"]*"/, 'ID')],
  );

  // The listing of a token without `read` holds only its own scripts' runs.
  const tag = `l${uid()}`.toLowerCase();
  const sleeperKey = `auth-list-${uid()}`;
  await startSleeper(sleeperKey, tag, token.sleeperRunner);
  const payerRuns = await eventually(
    'both runs in the listing',
    async () => {
      const all = (await call('GET', '/v1/runs?limit=1000', as(token.reader))).body.runs as {
        workflowId: string;
      }[];
      if (!all.some((r) => r.workflowId === sleeperKey)) return undefined;
      const own = (await call('GET', '/v1/runs?limit=1000', as(token.payer))).body.runs as {
        workflowId: string;
        request?: { script: string };
      }[];
      return own.some((r) => r.workflowId === `payment-${orderId}`) ? own : undefined;
    },
    15_000,
  );
  assert.ok(payerRuns.every((r) => r.request?.script === 'collect-payment'));
  const filtered = await call('GET', '/v1/runs?script=sleeper', as(token.payer));
  assert.deepEqual(filtered.body.runs, [], 'a script filter cannot widen the listing');
  assert.equal((await call('POST', `/v1/runs/${sleeperKey}/cancel`, as(token.admin))).status, 200);

  // retry acts on runs of a script the token may run, and records the token as who retried.
  const key = `auth-retry-${uid()}`;
  const failed = await call('POST', '/v1/runs', as(token.operator), {
    script: 'exit-with',
    args: { code: 2 },
    key,
  });
  assert.equal(failed.body.status, 'failed');
  const claimed = await call('POST', `/v1/runs/${key}/retry`, as(token.operator), { by: 'someone else' });
  assert.equal(claimed.status, 400, 'who retried is not the body’s to say');
  assert.match(claimed.body.message ?? '', /unknown field "by"/);
  const retried = await call('POST', `/v1/runs/${key}/retry`, as(token.operator), { reason: 'fixed' });
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  const history = await stack.client.workflow.getHandle(key, retried.body.runId as string).fetchHistory();
  const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = JSON.parse(Buffer.from(startedEvent?.input?.payloads?.[0]?.data ?? []).toString());
  const { grant: _grant, ...retryOf } = input.retryOf;
  assert.deepEqual(retryOf, { runId: failed.body.runId, by: 'operator', reason: 'fixed' });

  // Batches need run:collect-payment; reading one is reading a collect-payment run.
  const batchId = `auth-b-${uid()}`;
  const batch = await call('POST', '/v1/batches', as(token.payer), {
    batchId,
    orders: [{ orderId: `${batchId}-1`, amount: 1 }],
  });
  assert.equal(batch.status, 202);
  assert.equal((await call('GET', `/v1/batches/${batchId}`, as(token.payer))).status, 200);
  const listedBy = async (t: string) =>
    ((await call('GET', '/v1/batches?limit=1000', as(t))).body.batches as { batchId: string }[]).map(
      (b) => b.batchId,
    );
  assert.ok((await listedBy(token.payer)).includes(batchId), 'listed to run:collect-payment');
  assert.ok((await listedBy(token.reader)).includes(batchId), 'listed to read');
  assert.deepEqual(await listedBy(token.sleeperRunner), [], 'a run:sleeper token lists no batches');

  // A batch of another script takes what a run of it takes: run:sleeper, not run:collect-payment.
  const sleeperBatch = `auth-s-${uid()}`;
  const sleeperRows = {
    script: 'sleeper',
    rows: [{ key: `${sleeperBatch}-1`, args: { seconds: 0, tag: 'auth-b' } }],
  };
  for (const url of ['/v1/batches', '/v1/batches/plan']) {
    const refused = await call('POST', url, as(token.payer), { batchId: sleeperBatch, ...sleeperRows });
    assert.equal(refused.status, 403, `${url}: ${JSON.stringify(refused.body)}`);
    assert.match(refused.body.message ?? '', /needs run:sleeper/);
  }
  assert.equal(
    (await call('GET', `/v1/batches/${sleeperBatch}`, as(token.admin))).status,
    404,
    'none started',
  );
  const sleeperStarted = await call('POST', '/v1/batches', as(token.sleeperRunner), {
    batchId: sleeperBatch,
    ...sleeperRows,
  });
  assert.equal(sleeperStarted.status, 202, JSON.stringify(sleeperStarted.body));
  assert.equal((await call('GET', `/v1/batches/${sleeperBatch}`, as(token.sleeperRunner))).status, 200);
  assert.equal((await call('GET', `/v1/batches/${sleeperBatch}`, as(token.payer))).status, 404);
  assert.deepEqual(
    await listedBy(token.sleeperRunner),
    [sleeperBatch],
    'run:sleeper lists the sleeper batch',
  );
  assert.ok(!(await listedBy(token.payer)).includes(sleeperBatch), 'run:collect-payment does not');
  assert.equal((await call('GET', '/healthz', {})).status, 200, '/healthz needs no token');
});

test('GET /v1/scripts shows a token the scripts it may list runs of, never how they run; ?find= is narrowed alike', async () => {
  const scripts = async (t: string) =>
    (await call('GET', '/v1/scripts', as(t))).body.scripts as { name: string; path?: string }[];
  const payerScripts = await scripts(token.payer);
  assert.deepEqual(payerScripts, [
    {
      name: 'collect-payment',
      key: 'payment-{orderId}',
      args: [
        {
          name: 'orderId',
          type: 'string',
          pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
          maxLength: 256,
          allowLeadingDash: false,
        },
        { name: 'amount', type: 'number', integer: false, minimum: 0.01, maximum: 1000000 },
      ],
    },
  ]);
  const all = await scripts(token.reader);
  assert.deepEqual(all.map((s) => s.name).sort(), stack.registry.names().sort(), '`read` lists every script');
  for (const s of all)
    assert.deepEqual(
      Object.keys(s).filter((k) => !['name', 'description', 'args', 'key'].includes(k)),
      [],
      `${s.name}: its name, description, arguments and key template only, never how it runs`,
    );
  assert.equal((await call('GET', '/v1/scripts', as(token.cancelOnly))).status, 403);
  assert.equal((await call('GET', '/v1/scripts', {})).status, 401);

  // A payment is found by its order ID or its key, to a token that may list its runs only.
  const orderId = `auth-find-${uid()}`;
  assert.equal((await call('POST', '/v1/payments', as(token.payer), { orderId, amount: 2 })).status, 200);
  const found = async (find: string, t: string) =>
    ((await call('GET', `/v1/runs?find=${find}`, as(t))).body.runs as { workflowId: string }[]).map(
      (r) => r.workflowId,
    );
  assert.deepEqual(await found(orderId, token.payer), [`payment-${orderId}`]);
  assert.deepEqual(await found(`payment-${orderId}`, token.reader), [`payment-${orderId}`]);
  assert.deepEqual(await found(orderId, token.sleeperRunner), [], 'not to a token that may not list it');
  const bad = await call('GET', '/v1/runs?find=a%20b', as(token.reader));
  assert.deepEqual([bad.status, bad.body.field], [400, 'find']);
});

test("a batch's plan and report do not say what another script's run holds a key with", async () => {
  // A sleeper row names the key of an exit-with run: the sleeper's token may not read those.
  const key = `auth-held-${uid()}`;
  const held = await call('POST', '/v1/runs', as(token.operator), {
    script: 'exit-with',
    args: { code: 0 },
    key,
  });
  assert.equal(held.status, 200, JSON.stringify(held.body));
  const tag = `held-${uid()}`.toLowerCase();
  const rows = [{ args: { seconds: 0, tag }, key }];
  const plan = await call('POST', '/v1/batches/plan', as(token.sleeperRunner), { script: 'sleeper', rows });
  assert.equal(plan.status, 200, JSON.stringify(plan.body));
  const [planned] = plan.body.orders as { status: string; message: string }[];
  assert.equal(planned!.status, 'conflict');
  assert.match(planned!.message, /is taken by a run you may not read/);
  assert.doesNotMatch(planned!.message, /exit-with|code/);

  const batchId = `auth-held-${uid()}`;
  const started = await call('POST', '/v1/batches?wait=30s', as(token.sleeperRunner), {
    batchId,
    script: 'sleeper',
    rows,
  });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const orders = await call('GET', `/v1/batches/${batchId}/orders`, as(token.sleeperRunner));
  const [reported] = orders.body.orders as { status: string; message: string }[];
  assert.equal(reported!.status, 'conflict');
  assert.match(reported!.message, /is taken by a run you may not read/);
  assert.doesNotMatch(reported!.message, /exit-with|code/);
  assert.deepEqual(stack.executions(tag), [], 'the sleeper did not run under the taken key');
});

test('a token revoked while the API runs is refused on its next request', async () => {
  const temp = createToken(tokensFile, `temp-${uid()}`, ['read']);
  assert.equal((await call('GET', '/v1/runs?limit=1', as(temp))).status, 200);
  const name = loadTokens(tokensFile).at(-1)!.name;
  revokeToken(tokensFile, name);
  const refused = await call('GET', '/v1/runs?limit=1', as(temp));
  assert.equal(refused.status, 401);
  assert.match(refused.body.message ?? '', /unknown or revoked/);
});

test('superscript token create, list and revoke; the CLI client commands send SUPERSCRIPT_TOKEN', async () => {
  const env = (extra: Record<string, string> = {}) => ({
    SUPERSCRIPT_TOKENS_FILE: tokensFile,
    SUPERSCRIPT_CONFIG: FIXTURE_REGISTRY,
    SUPERSCRIPT_API_URL: stack.api!.url,
    SUPERSCRIPT_TOKEN: '',
    SUPERSCRIPT_LOG_LEVEL: 'error',
    ...extra,
  });
  const name = `cli-${uid()}`;
  const created = await runCli(
    ['token', 'create', '--name', name, '--scope', 'run:collect-payment', 'read'],
    env(),
  );
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^ss_[A-Za-z0-9_-]{43}\n$/, 'the token alone on stdout');
  assert.match(created.stderr, /only time it is shown/);
  const cliToken = created.stdout.trim();
  assert.ok(!readFileSync(tokensFile, 'utf8').includes(cliToken), 'the file holds no token');

  const listed = await runCli(['token', 'list'], env());
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`^${name} +created \\S+ +run:collect-payment read$`, 'm'));
  assert.match(listed.stdout, /^revoked +created \S+ +revoked \S+ +admin$/m);
  assert.doesNotMatch(listed.stdout, /sha256|ss_/);

  const orderId = `auth-cli-${uid()}`;
  const noToken = await runCli(['pay', orderId, '2'], env());
  assert.equal(noToken.code, 125);
  assert.match(noToken.stderr, /needs a token.*SUPERSCRIPT_TOKEN/);
  const paid = await runCli(['pay', orderId, '2'], env({ SUPERSCRIPT_TOKEN: cliToken }));
  assert.equal(paid.code, 0, paid.stderr);
  const forbidden = await runCli(
    ['run', 'exit-with', 'code=0', '--key', `auth-cli-${uid()}`],
    env({ SUPERSCRIPT_TOKEN: cliToken }),
  );
  assert.equal(forbidden.code, 125);
  assert.match(forbidden.stderr, /may not start runs of exit-with: that needs run:exit-with/);

  assert.equal((await runCli(['token', 'revoke', name], env())).code, 0);
  const after = await runCli(['status', `payment-${orderId}`], env({ SUPERSCRIPT_TOKEN: cliToken }));
  assert.equal(after.code, 125);
  assert.match(after.stderr, /unknown or revoked/);
  assert.equal(stack.ledger().filter((l) => l.includes(` ${orderId} `)).length, 1);

  const again = await runCli(['token', 'create', '--name', name, '--scope', 'read'], env());
  assert.equal(again.code, 125);
  assert.match(again.stderr, /already exists/);
  const badScope = await runCli(['token', 'create', '--name', `x-${uid()}`, '--scope', 'write'], env());
  assert.equal(badScope.code, 125);
  assert.match(badScope.stderr, /Unknown scope "write"/);
  assert.equal(badScope.stdout, '');

  const fresh = path.join(dir, 'new', 'tokens.json');
  const first = await runCli(
    ['token', 'create', '--name', 'first', '--scope', 'run:*'],
    env({ SUPERSCRIPT_TOKENS_FILE: fresh }),
  );
  assert.equal(first.code, 0, first.stderr);
  assert.equal(statSync(fresh).mode & 0o777, 0o600, 'created readable by its owner only');
});

/** A raw request, so the Host and Content-Type headers are exactly what the test says. */
function raw(method: string, url: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url, stack.api!.url);
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method, headers },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: new Headers(), body: JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('on loopback, only local Host names are answered (DNS rebinding); every POST must say JSON', async () => {
  const tag = `h${uid()}`.toLowerCase();
  const key = `auth-host-${uid()}`;
  await startSleeper(key, tag);
  const bearer = { authorization: `Bearer ${token.admin}` };
  for (const host of ['evil.example', 'evil.example:80', '127.0.0.1.evil.example', '10.0.0.1']) {
    const res = await raw('GET', '/healthz', { host });
    assert.equal(res.status, 421, host);
    assert.match(res.body.message as string, /answers only requests addressed to localhost/);
  }
  for (const host of ['localhost', 'LOCALHOST:1', '127.0.0.1:8080', '[::1]:80']) {
    assert.equal((await raw('GET', '/healthz', { host })).status, 200, host);
  }
  const cancel = `/v1/runs/${key}/cancel`;
  for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
    const res = await raw('POST', cancel, { ...bearer, ...(type ? { 'content-type': type } : {}) });
    assert.equal(res.status, 415, `content type ${type}`);
    assert.match(res.body.message as string, /Content-Type: application\/json, also those without a body/);
  }
  assert.equal(
    (await describeRun(stack.runs, key)).status.name,
    'RUNNING',
    'a refused cancel cancels nothing',
  );
  const ok = await raw('POST', cancel, { ...bearer, 'content-type': 'application/json' });
  assert.equal(ok.status, 200, 'a bodyless POST that says JSON is fine');
});

test('the tokens file is validated, naming the bad field; one that turns bad refuses every token', () => {
  const file = path.join(dir, `bad-${uid()}.json`);
  const entry = {
    name: 'a',
    hash: `sha256:${'0'.repeat(64)}`,
    scopes: ['read'],
    createdAt: new Date().toISOString(),
  };
  const bad: [unknown, RegExp][] = [
    [{ tokens: [{ ...entry, scopes: ['write'] }] }, /tokens\.0\.scopes\.0: scopes are run:<script>/],
    [{ tokens: [{ ...entry, scopes: ['run:../x'] }] }, /tokens\.0\.scopes\.0/],
    [{ tokens: [{ ...entry, hash: 'plaintext' }] }, /tokens\.0\.hash/],
    [
      { tokens: [entry, { ...entry, hash: `sha256:${'1'.repeat(64)}` }] },
      /tokens\.1\.name: "a" appears twice/,
    ],
    [{ tokens: [{ ...entry, token: 'ss_x' }] }, /tokens\.0: Unrecognized key/],
    [{ tokens: [{ ...entry, scopes: [] }] }, /tokens\.0\.scopes/],
  ];
  for (const [content, message] of bad) {
    writeFileSync(file, JSON.stringify(content));
    assert.throws(
      () => loadTokens(file),
      (err) => err instanceof ConfigError && message.test(err.message),
    );
  }
  const t = createToken(file.replace('.json', '-ok.json'), 'ok', ['read']);
  const store = new TokenStore(file.replace('.json', '-ok.json'));
  assert.equal(store.find(t)?.name, 'ok');
  writeFileSync(file.replace('.json', '-ok.json'), '{"tokens": [');
  assert.throws(() => store.find(t), ConfigError);
});

/** Starts `superscript ARGS`; `started` resolves once `ready` matches its output, or when it exits. */
function serve(args: string[], env: Record<string, string>, ready?: RegExp) {
  const merged = Object.entries({ ...process.env, SUPERSCRIPT_CONFIG: FIXTURE_REGISTRY, ...env });
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'superscript.js'), ...args], {
    // '' unsets a variable.
    env: Object.fromEntries(merged.filter(([, v]) => v !== '')),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  child.stderr.on('data', (c: Buffer) => (output += c));
  // 'close', not 'exit': the output has been read by then.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const ended = exited.then((code) => ({ code, output }));
  const started = ready
    ? Promise.race([
        ended,
        eventually(
          'it to be ready',
          () => (ready.test(output) ? { code: undefined, output } : undefined),
          30_000,
        ),
      ])
    : ended;
  return { child, exited, started };
}

test('superscript api and dev refuse to serve beyond loopback without tokens, before connecting to anything', async () => {
  const nowhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, SUPERSCRIPT_TOKENS_FILE: '' };
  for (const args of [
    ['api', '--host', '0.0.0.0'],
    ['dev', '--host', '0.0.0.0', '--data-dir', dir],
  ]) {
    const { exited, started } = serve(args, nowhere);
    const { output } = await started;
    assert.equal(await exited, 125, output);
    assert.match(
      output,
      /Refusing to serve the API on 0\.0\.0\.0 without tokens.*SUPERSCRIPT_TOKENS_FILE.*superscript token create/,
    );
  }
  const bad = path.join(dir, 'bad-tokens.json');
  writeFileSync(bad, JSON.stringify({ tokens: [{ name: 'x' }] }));
  const { exited, started } = serve(['api', '--host', '0.0.0.0'], {
    ...nowhere,
    SUPERSCRIPT_TOKENS_FILE: bad,
  });
  const { output } = await started;
  assert.equal(await exited, 125);
  assert.match(output, /Invalid tokens file .*: tokens\.0\.hash/);
});

test('superscript api on loopback without tokens says it is open, and has no traditional route', async () => {
  const port = await freePort();
  const { child, exited, started } = serve(
    ['api', '--port', String(port)],
    {
      TEMPORAL_ADDRESS: stack.address,
      SUPERSCRIPT_TASK_QUEUE: stack.taskQueue,
      SUPERSCRIPT_KEY_STORE_URL: stack.env.SUPERSCRIPT_KEY_STORE_URL!,
      SUPERSCRIPT_TOKENS_FILE: '',
      SUPERSCRIPT_LOG_LEVEL: 'info',
    },
    /api listening/,
  );
  try {
    const { code, output } = await started;
    assert.equal(code, undefined, output);
    assert.match(output, /"level":40.*the API is open \(no SUPERSCRIPT_TOKENS_FILE\)/);
    const url = `http://127.0.0.1:${port}`;
    const traditional = await fetch(`${url}/v1/payments/traditional`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: `auth-trad-${uid()}`, amount: 1 }),
    });
    assert.equal(traditional.status, 404);
    assert.match(
      ((await traditional.json()) as { message: string }).message,
      /No route POST \/v1\/payments\/traditional/,
    );
    assert.equal(stack.ledger().filter((l) => l.includes(' auth-trad-')).length, 0);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
