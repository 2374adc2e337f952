// The web UI in a real browser (Debian's chromium, driven by playwright-core) against the real stack: a
// payment with a replay and a conflict, a batch, a script that prints HTML, and a run left outcome_unknown by
// a worker that stopped mid-script, and a run started by hand with a memo SuperScript did not write, each
// checked by what the page says; a retry and a cancel from the UI; a notification still being tried; a
// phone-sized screen; starting a run from the form and a batch from a file, shown as its plan first; finding a
// run by key or order ID; and what a token that may not start runs is offered. Screenshots go to
// test-output/ui/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UI_CSP } from '../src/api/routes/ui.js';
import { createToken } from '../src/config/tokens.js';
import { REQUEST_MEMO } from '../src/shared/runs.js';
import { WorkflowTypes } from '../src/shared/workflow-types.js';
import { startStack, type Stack } from './support/harness.js';
import { apiClient } from './support/http.js';
import { ROOT } from './support/paths.js';
import { eventually } from './support/poll.js';
import { processTable } from './support/processes.js';
import { CHROMIUM_PATH } from './support/system-packages.js';

const SHOTS = path.join(ROOT, 'test-output', 'ui');
const TEMPORAL_UI = 'http://127.0.0.1:8233';
const uid = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

let stack: Stack;
let browser: Browser;
let url: string;

// What the tests create, then look for on the pages.
const paid = `ui-${uid}-a1`;
const conflicted = `ui-${uid}-c1`;
const late = `ui-${uid}-late`;
const batchId = `ui-${uid}`;
const batchOrders = [
  { orderId: paid, amount: 12.5 }, // already charged alone: reported as already done
  { orderId: conflicted, amount: 7 }, // its key holds amount 5: a conflict
  ...Array.from({ length: 53 }, (_, i) => ({ orderId: `ui-${uid}-b${i + 1}`, amount: 10 + i })),
];
const unknownKey = `ui-unknown-${uid}`;
const unknownTag = `ui-${uid}`;
const htmlKey = `ui-html-${uid}`;
const HTML_TEXT = '<img src=x onerror="window.injected=1"><b>bold</b> & "quoted"';

const call = apiClient(() => url);

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ api: true, worker: false, temporalUiUrl: TEMPORAL_UI });
  url = stack.api!.url;
  const stopFirstWorker = await stack.addWorker();

  // Oldest first: listings show the newest first. A payment, its replay, and a request that reuses its key for another amount.
  assert.equal((await call('POST', '/v1/payments', { orderId: paid, amount: 12.5 })).body.executed, true);
  assert.equal((await call('POST', '/v1/payments', { orderId: paid, amount: 12.5 })).body.replayed, true);
  assert.equal((await call('POST', '/v1/payments', { orderId: paid, amount: 99 })).status, 422);
  assert.equal((await call('POST', '/v1/payments', { orderId: conflicted, amount: 5 })).status, 200);
  // A batch over those two and 53 new orders; few at once, so a loaded machine misses no heartbeat.
  assert.equal(
    (await call('POST', '/v1/batches?wait=120s', { batchId, orders: batchOrders, maxConcurrent: 4 })).status,
    200,
  );

  assert.equal(
    (await call('POST', '/v1/runs', { script: 'echo-text', args: { text: HTML_TEXT }, key: htmlKey })).status,
    200,
  );
  assert.equal(
    (await call('POST', '/v1/runs', { script: 'exit-with', args: { code: 3 }, key: `ui-failed-${uid}` }))
      .status,
    200,
  );
  // A run left outcome_unknown: its worker stops (no grace) while the script sleeps.
  assert.equal(
    (
      await call('POST', '/v1/runs?wait=0', {
        script: 'unsure-sleeper', // its verify command can never tell
        args: { seconds: 60, tag: unknownTag },
        key: unknownKey,
      })
    ).status,
    202,
  );
  await eventually(
    'the sleeper to start',
    () => (stack.executions(unknownTag).length ? true : undefined),
    30_000,
  );
  await stopFirstWorker();
  await stack.addWorker();

  await eventually(
    'the run to be outcome_unknown',
    async () =>
      (await call('GET', `/v1/runs/${unknownKey}`)).body.status === 'outcome_unknown' ? true : undefined,
    30_000,
  );
  // Newer than the unknown run, which the runs page still lists first.
  assert.equal((await call('POST', '/v1/payments', { orderId: late, amount: 1 })).status, 200);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page on the UI that records every request it makes and fails on script errors. */
async function open(route: string, viewport = { width: 1280, height: 900 }) {
  const context: BrowserContext = await browser.newContext({ viewport });
  const page: Page = await context.newPage();
  const requested: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const response = await page.goto(`${url}/#${route}`);
  return { page, context, requested, errors, response };
}

const shot = (page: Page, name: string, fullPage = true) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });

test('the UI is served at / with a strict CSP and loads nothing from elsewhere', async () => {
  const { page, context, requested, errors, response } = await open('/runs');
  try {
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['content-security-policy'], UI_CSP);
    assert.match(UI_CSP, /default-src 'none'/);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    const origin = new URL(url).origin;
    assert.ok(requested.length > 3);
    assert.deepEqual(
      requested.filter((r) => new URL(r).origin !== origin),
      [],
      'every request goes to the API itself',
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('runs page: the outcome_unknown run comes first, marked as needing a decision; filters apply', async () => {
  const { page, context, errors } = await open('/runs');
  try {
    await page.getByText(unknownKey).waitFor();
    await page.getByText(`payment-${paid}`).waitFor();
    await page
      .getByText(/needs? a decision/)
      .first()
      .waitFor();
    const firstRow = page.locator('tbody tr').first();
    assert.match(
      await firstRow.innerText(),
      new RegExp(`Outcome unknown[\\s\\S]*Needs decision[\\s\\S]*${unknownKey}`),
    );
    assert.match(
      await page.locator('tbody tr').nth(1).innerText(),
      new RegExp(`payment-${late}`),
      'then newest first',
    );
    const paidRow = page.locator('tr', { hasText: `payment-${paid}` });
    assert.match(await paidRow.innerText(), /Succeeded[\s\S]*collect-payment[\s\S]*amount=12.5/);
    const failedRow = page.locator('tr', { hasText: `ui-failed-${uid}` });
    assert.match(await failedRow.innerText(), /Failed[\s\S]*exit-with/);
    await shot(page, 'runs', false);

    await page.getByLabel('Status').selectOption('outcome_unknown');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=outcome_unknown/);
    await page.getByText(unknownKey).waitFor();
    const statuses = await page.locator('tbody tr .badge').allInnerTexts();
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'Outcome unknown'), statuses.join(', '));
    assert.equal(await page.getByText(`payment-${paid}`).count(), 0);

    await page.getByLabel('Script').fill('collect-payment');
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/script=collect-payment/);
    await page.getByText(`payment-${paid}`).waitFor();
    assert.equal(await page.getByText(htmlKey).count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('run page: request, times, exit code, output, the requests its key got, and the Temporal UI link', async () => {
  const { page, context, errors } = await open(`/runs/payment-${paid}`);
  try {
    await page.getByRole('heading', { name: `payment-${paid}` }).waitFor();
    const main = page.locator('main');
    await main.getByText(`charged order ${paid}: 12.5`).waitFor();
    const details = await page.locator('dl.details').innerText();
    assert.match(details, /Script\s+collect-payment/);
    assert.match(details, /orderId\s*\n?\s*ui-/);
    assert.match(details, /Exit code\s+0/);
    assert.match(details, /Dedup window\s+the key store remembers the key until it is pruned/);
    const journal = await page.locator('section', { hasText: 'Requests for this key' }).innerText();
    assert.match(journal, /Executed/);
    assert.match(journal, /Replayed/);
    assert.match(journal, /Conflict, refused/);
    assert.match(journal, /As answered by this API process since/);
    const run = (await call('GET', `/v1/runs/payment-${paid}`)).body;
    const link = page.getByRole('link', { name: 'Open in Temporal UI' });
    assert.equal(
      await link.getAttribute('href'),
      `${TEMPORAL_UI}/namespaces/default/workflows/payment-${paid}/${String(run.runId)}/history`,
    );
    assert.equal(
      await page.getByRole('button', { name: /Retry/ }).count(),
      0,
      'a run that succeeded offers no retry',
    );
    await shot(page, 'run');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('run page: what a script printed shows as text, never as markup', async () => {
  const { page, context, errors } = await open(`/runs/${htmlKey}`);
  try {
    const out = page.locator('section', { hasText: 'Standard output' }).locator('pre');
    await out.waitFor();
    assert.equal(await out.textContent(), `${HTML_TEXT}\n`);
    const err = page.locator('section', { hasText: 'Standard error' }).locator('pre');
    assert.equal(await err.textContent(), `note: ${HTML_TEXT}\n`);
    assert.match(await page.locator('ul.args').innerText(), /<img src=x onerror=/);
    assert.equal(await page.locator('main img, main b').count(), 0, 'no element was made from the text');
    assert.equal(await page.evaluate('window.injected'), undefined);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a run started by hand with a request memo SuperScript did not write shows as such, on both pages', async () => {
  const key = `ui-foreign-${uid}`;
  const handle = await stack.client.workflow.start(WorkflowTypes.script, {
    taskQueue: stack.taskQueue,
    workflowId: key,
    args: [{ script: 'exit-with', args: { code: 0 }, key }],
    memo: { [REQUEST_MEMO]: '{"script": "exit-with", "args": null}' },
  });
  // Until its worker has claimed the key, the key store has no request to show for it.
  await handle.result();
  const runPage = await open(`/runs/${key}`);
  try {
    await runPage.page.getByText('Started or changed outside SuperScript').waitFor();
    // The key stands for the request its worker checked (the key store's), not for the memo's.
    assert.match(await runPage.page.locator('dl.details').innerText(), /Script\s+exit-with/);
    assert.deepEqual(runPage.errors, []);
  } finally {
    await runPage.context.close();
  }
  const list = await open('/runs');
  try {
    await list.page.getByText(key).waitFor();
    assert.deepEqual(list.errors, []);
  } finally {
    await list.context.close();
  }
});

test('batches: the list, live progress counts, and the per-order report a page at a time', async () => {
  const { page, context, errors } = await open('/batches');
  try {
    const row = page.locator('tr', { hasText: batchId });
    await row.waitFor();
    assert.match(await row.innerText(), /Finished[\s\S]*55/);
    await shot(page, 'batches');

    await row.getByRole('link', { name: batchId }).click();
    await page.getByRole('heading', { name: `Batch ${batchId}` }).waitFor();
    const progress = await page.locator('.stats').innerText();
    assert.match(progress, /55 of 55\s+Done/);
    // Each order counts once: the one charged earlier is done earlier, not succeeded again.
    assert.match(progress, /53\s+Succeeded/);
    assert.match(progress, /1\s+Conflict/);
    assert.match(progress, /1\s+Done earlier/);
    assert.match(progress, /0\s+Pending/);
    await page.getByText('Orders 1–50').waitFor();
    const orders = page.locator('section', { hasText: 'Orders 1–50' });
    assert.match(
      await orders.locator('tr', { hasText: conflicted }).innerText(),
      /Conflict[\s\S]*Key holds another request/,
    );
    assert.match(await orders.locator('tr', { hasText: paid }).innerText(), /Succeeded[\s\S]*Done earlier/);
    assert.match(
      await orders
        .locator('tr', { hasText: `ui-${uid}-b1` })
        .first()
        .innerText(),
      /Ran in this batch/,
    );
    await shot(page, 'batch', false);

    await page.getByRole('link', { name: 'Next' }).click();
    await page.getByText('Orders 51–55').waitFor();
    await page.getByLabel('Orders with outcome').selectOption('conflict');
    await page.waitForURL(/status=conflict/);
    await page.getByText('Orders 1–1').waitFor();
    assert.equal(await page.locator('section', { hasText: 'Orders 1–1' }).locator('tbody tr').count(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a running batch: the page follows its progress live, then shows its report', async () => {
  const liveId = `ui-live-${uid}`;
  const orders = Array.from({ length: 40 }, (_, i) => ({ orderId: `ui-${uid}-l${i + 1}`, amount: 1 }));
  // One order at a time, so the batch is still running when the page opens.
  assert.equal(
    (await call('POST', '/v1/batches', { batchId: liveId, orders, maxConcurrent: 1 })).status,
    202,
  );
  const { page, context, errors } = await open(`/batches/${liveId}`);
  try {
    await page.locator('h1 .badge', { hasText: 'Running' }).waitFor();
    await page.getByText('Each order is reported here when the batch ends').waitFor();
    assert.match(await page.locator('.stats').innerText(), /of 40\s+Done[\s\S]*Pending/);
    await shot(page, 'batch-running', false);
    await page.locator('h1 .badge', { hasText: 'Finished' }).waitFor({ timeout: 120_000 });
    assert.match(await page.locator('.stats').innerText(), /40 of 40\s+Done[\s\S]*40\s+Succeeded/);
    await page.getByText('Orders 1–40').waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('bulk decisions from the batch page: cancel what has not started, then retry the failed order', async () => {
  const bulkId = `ui-bulk-${uid}`;
  const orders = Array.from({ length: 4 }, (_, i) => ({ orderId: `ui-${uid}-k${i + 1}`, amount: 2 }));
  const first = orders[0]!.orderId;
  // The first order is held in its payment's delay while the page opens; one order at a time.
  process.env.PAYMENT_DELAY_SECONDS = '60';
  try {
    assert.equal(
      (await call('POST', '/v1/batches', { batchId: bulkId, orders, maxConcurrent: 1 })).status,
      202,
    );
    await eventually(
      'the first order to be charging',
      () =>
        processTable().some(
          (p) => p.argv.some((a) => a.endsWith('collect-payment.sh')) && p.argv.includes(first),
        ) || undefined,
      30_000,
    );
  } finally {
    process.env.PAYMENT_DELAY_SECONDS = '0.05';
  }
  const { page, context, errors } = await open(`/batches/${bulkId}`);
  try {
    await page.getByRole('button', { name: 'Cancel not started…' }).click();
    const cancelling = page.getByRole('dialog');
    await cancelling.getByText(/4 orders of the batch have no outcome yet/).waitFor();
    await cancelling.getByRole('button', { name: 'Cancel them' }).click();
    // The order in flight is ended too (through the API), so it fails and has something to retry.
    assert.equal((await call('POST', `/v1/batches/${bulkId}/cancel`, { killRunning: true })).status, 200);
    await page.locator('h1 .badge', { hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });

    await page.getByRole('button', { name: 'Retry failed…' }).click();
    const retrying = page.getByRole('dialog');
    await retrying.getByText('This retries 1 failed order of the batch').waitFor();
    await shot(page, 'batch-retry-confirmation', false);
    await retrying.getByRole('button', { name: 'Retry them' }).click();
    const decision = page.locator('[data-decision="retry"]');
    await decision.getByText(/1 of 1 done: succeeded 1/).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole('button', { name: 'Retry failed…' }).count(), 0, 'asked once');
    assert.equal(
      stack.ledger().filter((l) => l.includes(` ${first} `)).length,
      1,
      'charged once, by the retry',
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('an outcome_unknown run from the UI: verify, then a retry confirmed with its risk spelled out, then cancel', async () => {
  const { page, context, errors } = await open(`/runs/${unknownKey}`);
  try {
    await page.getByText('Needs a decision: the outcome of this run is unknown').waitFor();
    assert.equal((await call('GET', `/v1/runs/${unknownKey}`)).body.verifiable, true);

    await page.getByRole('button', { name: 'Verify…' }).click();
    await page.getByRole('dialog').getByText('The script itself does not run.').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Run verify' }).click();
    await page.getByText('Started by a resolve: the verify command ran, not the script').waitFor();
    await page.getByText('verify answered: cannot tell').waitFor({ timeout: 30_000 });
    await page.locator('h1 .badge', { hasText: 'Outcome unknown' }).waitFor();
    await page
      .locator('section', { hasText: 'Verify errors' })
      .getByText('cannot reach the provider')
      .waitFor();

    await page.getByRole('button', { name: 'Retry…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('The script may already have done its work.').waitFor();
    assert.match(
      await dialog.innerText(),
      /If verify cannot tell, the script runs a second time under the same key/,
    );
    const confirm = dialog.getByRole('button', { name: 'Run it again' });
    assert.equal(await confirm.isDisabled(), true, 'confirming waits for the acknowledgement');
    await dialog.getByLabel('Reason').fill('ledger checked: not charged');
    await dialog.getByLabel('I have checked that the script did not do its work').check();
    await shot(page, 'retry-confirmation', false);
    await confirm.click();

    await page.getByText('Started by an explicit retry').waitFor({ timeout: 60_000 });
    const retried = (await call('GET', `/v1/runs/${unknownKey}`)).body as { retryOf: { runId: string } };
    assert.match(
      await page.locator('.notice-info').innerText(),
      new RegExp(
        `Retry of run ${retried.retryOf.runId} by local \\(open API\\): ledger checked: not charged`,
      ),
    );
    await eventually(
      'the retry to run the script',
      () => (stack.executions(unknownTag).length === 2 ? true : undefined),
      30_000,
    );
    await page.locator('h1 .badge', { hasText: 'Running' }).waitFor();
    const journal = await page.locator('section', { hasText: 'Requests for this key' }).innerText();
    assert.match(journal, /Retry\s+Executed/);
    assert.match(journal, /Resolve\s+Executed/);

    await page.getByRole('button', { name: 'Cancel…' }).click();
    await page
      .getByRole('dialog')
      .getByText(/process group gets SIGTERM/)
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel the run' }).click();
    await page.locator('h1 .badge', { hasText: 'Cancelled' }).waitFor({ timeout: 30_000 });
    await shot(page, 'run-retried-then-cancelled');
    assert.equal((await call('GET', `/v1/runs/${unknownKey}`)).body.status, 'cancelled');
    assert.equal(
      stack.executions(unknownTag).length,
      2,
      'verify never ran the script; the retry ran it once',
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('notifications: each delivery with its attempts and last error, linked to its run', async () => {
  const id = `ui-notice-${uid}`;
  const key = `payment-${paid}`;
  const event = { id, type: 'run.failed', at: new Date().toISOString(), key, script: 'collect-payment' };
  await stack.keys.addNotices([
    { id, target: 'ops', type: event.type, body: JSON.stringify(event), createdAt: event.at },
  ]);
  // Not due for an hour: no worker tries it while the page is read (none has a target "ops" anyway).
  const dueAt = new Date(Date.now() + 3_600_000).toISOString();
  await stack.keys.noteAttempt(id, 'ops', { error: 'ops answered 500; the delivery is tried again.', dueAt });
  const { page, context, errors } = await open('/notifications');
  try {
    const row = page.locator('tr', { hasText: key });
    await row.waitFor();
    assert.match(await row.innerText(), /run\.failed[\s\S]*ops[\s\S]*Retrying[\s\S]*1/i);
    assert.match(await page.locator('.results').innerText(), /not delivered yet/);
    await shot(page, 'notifications');
    await row.getByRole('link', { name: key }).click();
    await page.getByText(`charged order ${paid}`).first().waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('schedules: the list, one schedule with its last fire linked to its run, and pause from the UI', async () => {
  const name = `ui-${uid}`;
  const created = await call('POST', '/v1/schedules', {
    name,
    script: 'echo-text',
    args: { text: 'scheduled' },
    cron: '0 0 1 1 *',
  });
  assert.equal(created.status, 201);
  assert.equal((await call('POST', `/v1/schedules/${name}/trigger`, {})).status, 200);
  const { page, context, errors } = await open('/schedules');
  try {
    const row = page.locator('tr', { hasText: name });
    await row.waitFor();
    assert.match(await row.innerText(), /Active[\s\S]*echo-text/);
    await row.getByRole('link', { name }).click();
    await page.getByRole('heading', { name: `Schedule ${name}` }).waitFor();
    const fire = page
      .locator('section', { hasText: 'Last fires' })
      .getByRole('link', { name: new RegExp(`^${name}-`) });
    await fire.waitFor();
    await shot(page, 'schedule', false);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Unpause' }).waitFor();
    assert.match(await page.locator('.page-header').innerText(), /Paused[\s\S]*Paused from the web UI/);
    assert.equal((await call('GET', `/v1/schedules/${name}`)).body.paused, true);
    await fire.click();
    await page.getByRole('heading', { name: new RegExp(`${name}-`) }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await call('DELETE', `/v1/schedules/${name}`);
  }
});

test('a phone-sized screen: pages fit its width and keep what matters', async () => {
  const phone = { width: 390, height: 844 };
  for (const [route, text, name] of [
    ['/runs', unknownKey, 'phone-runs'],
    [`/runs/payment-${paid}`, `charged order ${paid}`, 'phone-run'],
    [`/batches/${batchId}`, 'Orders 1–50', 'phone-batch'],
  ] as const) {
    const { page, context, errors } = await open(route, phone);
    try {
      await page.getByText(text).first().waitFor();
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
      assert.ok(width <= phone.width, `${route} is ${width}px wide on a ${phone.width}px screen`);
      await shot(page, name, false);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  }
});

const loadFailed = (status: number) =>
  `Failed to load resource: the server responded with a status of ${status} (${status === 400 ? 'Bad Request' : 'Unprocessable Entity'})`;
const charges = (orderId: string) => stack.ledger().filter((l) => l.includes(` ${orderId} `)).length;

test('start page: a run from the form runs once, the same again attaches, another amount is refused as a conflict', async () => {
  const orderId = `ui-${uid}-form`;
  const { page, context, errors } = await open('/start');
  try {
    const form = page.getByRole('form', { name: 'Run a script' });
    await form.getByLabel('Script').selectOption('collect-payment');
    await form.getByText('Its key is formed from its arguments (payment-{orderId})').waitFor();
    assert.equal(await form.getByLabel('Key').count(), 0, 'a templated key is not asked for');
    await form.getByLabel('orderId').fill(orderId);
    await form.getByLabel('amount').fill('4.5');
    await form.getByRole('button', { name: 'Run' }).click();
    await page.getByText('Started a new run').waitFor();
    await page.getByText('ended: Succeeded').waitFor();
    assert.equal(charges(orderId), 1, 'the script ran once');
    await shot(page, 'run-form');

    await form.getByRole('button', { name: 'Run' }).click();
    await page.getByText('Already done: nothing ran again').waitFor();
    assert.equal(charges(orderId), 1, 'the same request again ran nothing');

    await form.getByLabel('amount').fill('9');
    await form.getByRole('button', { name: 'Run' }).click();
    await page.getByText('Refused: the key holds another request').waitFor();
    assert.match(await page.getByRole('alert').innerText(), new RegExp(`payment-${orderId}`));
    assert.equal(charges(orderId), 1);

    // A script whose key is not formed from its arguments asks for one.
    const key = `ui-form-${uid}`;
    await form.getByLabel('Script').selectOption('exit-with');
    await form.getByLabel('code').fill('0');
    await form.getByLabel('Key').fill(key);
    await form.getByRole('button', { name: 'Run' }).click();
    await page.getByText('Started a new run').waitFor();
    await page.getByRole('link', { name: key }).click();
    await page.getByRole('heading', { name: key }).waitFor();
    // The browser logs the conflict's answer as a failed load: that one only.
    assert.deepEqual(errors, [loadFailed(422)]);
  } finally {
    await context.close();
  }
});

/** Chooses a batch file on the start page; its plan, once shown, and the plan's counts. */
async function planOf(page: Page, name: string, mimeType: string, text: string) {
  await page.getByLabel('Batch file').setInputFiles({ name, mimeType, buffer: Buffer.from(text) });
  const plan = page.locator('section', { hasText: 'Start a batch from a file' });
  await plan.getByRole('heading', { name: 'Plan' }).waitFor();
  const counts = await plan.locator('.stat').allInnerTexts();
  return { plan, counts: counts.map((c) => c.replace(/\s+/g, ' ')) };
}

test('start page: a batch file shown as its plan, bad rows and all, started only once confirmed', async () => {
  const fresh = [`ui-${uid}-up1`, `ui-${uid}-up2`];
  const csv = [
    'orderId,amount',
    `${fresh[0]},3`,
    `"${fresh[1]}", 4.25`,
    `${paid},12.5`, // charged in before(): already done
    `${conflicted},8`, // its key holds amount 5: a conflict
    `ui-${uid}-bad1,lots`, // not a number: refused in the browser
    `ui-${uid}-bad2,0`, // below the script's minimum: refused by the API
    `${fresh[0]},3`, // twice in one batch: refused by the API
    '',
  ].join('\n');
  const { page, context, errors } = await open('/start');
  try {
    const { plan, counts } = await planOf(page, 'orders.csv', 'text/csv', csv);
    assert.deepEqual(counts, ['2 New', '1 Already done', '0 In flight', '1 Conflicts', '3 Bad rows']);
    await plan.getByText(/line 6.*\n?.*amount must be a number/).waitFor();
    await plan.getByText(/line 7/).waitFor();
    await plan.getByText(/must be at least 0.01/).waitFor();
    await plan
      .locator('tr', { hasText: 'line 8' })
      .getByText(`order "${fresh[0]}" appears twice (also orders[0])`)
      .waitFor();
    await plan.locator('tr', { hasText: conflicted }).waitFor();
    assert.equal(charges(fresh[0]!) + charges(fresh[1]!), 0, 'a plan starts nothing');
    await shot(page, 'batch-upload-plan');

    await plan.getByRole('button', { name: 'Start 4 rows' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('2 new rows of collect-payment will run').waitFor();
    await dialog.getByRole('button', { name: 'Keep as is' }).click();
    assert.equal(charges(fresh[0]!), 0, 'nothing starts unless confirmed');

    await plan.getByRole('button', { name: 'Start 4 rows' }).click();
    await dialog.getByRole('button', { name: 'Start batch' }).click();
    await page.waitForURL(/#\/batches\/[^/]+$/);
    await page.getByText('Orders 1–4').waitFor({ timeout: 60_000 });
    assert.deepEqual([charges(fresh[0]!), charges(fresh[1]!), charges(paid)], [1, 1, 1]);
    assert.equal(charges(`ui-${uid}-bad2`), 0);
    // The plan lists the rows the API finds bad: it answers 200, and nothing fails to load.
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("start page: a batch of another script from its rows, keyed by its template, each row's run once", async () => {
  const tags = [`ui-${uid}-t1`, `ui-${uid}-t2`];
  const csv = [
    'tag,seconds,code',
    `${tags[0]},0,0`,
    `${tags[1]},0,0`,
    `${tags[0]},0,0`,
    `${tags[1]},0,300`,
  ].join('\n');
  const { page, context, errors } = await open('/start');
  try {
    const section = page.locator('section', { hasText: 'Start a batch from a file' });
    await section.getByLabel('Script').selectOption('tell');
    await section.getByText('header row tag, seconds, code').waitFor();
    const { plan, counts } = await planOf(page, 'tell.csv', 'text/csv', csv);
    assert.deepEqual(counts, ['2 New', '0 Already done', '0 In flight', '0 Conflicts', '2 Bad rows']);
    await plan
      .locator('tr', { hasText: 'line 4' })
      .getByText(`key "tell-${tags[0]}" appears twice`)
      .waitFor();
    await plan
      .locator('tr', { hasText: 'line 5' })
      .getByText(/at most 255/)
      .waitFor();
    await plan.getByRole('button', { name: 'Start 2 rows' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start batch' }).click();
    await page.waitForURL(/#\/batches\/[^/]+$/);
    await page.getByText('Orders 1–2').waitFor({ timeout: 60_000 });
    assert.deepEqual(
      tags.map((t) => stack.executions(t).length),
      [1, 1],
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('start page: JSON lines read as rows of the same arguments; a CSV header must name them', async () => {
  const jsonl = [
    JSON.stringify({ orderId: `ui-${uid}-j1`, amount: 2 }),
    JSON.stringify({ orderId: paid, amount: 12.5 }),
    JSON.stringify({ orderId: `ui-${uid}-j2`, amount: '2' }), // a string where a number is declared
    'not json',
  ].join('\n');
  const { page, context, errors } = await open('/start');
  try {
    const { plan, counts } = await planOf(page, 'orders.jsonl', 'application/x-ndjson', jsonl);
    assert.deepEqual(counts, ['1 New', '1 Already done', '0 In flight', '0 Conflicts', '2 Bad rows']);
    await plan.getByText('amount must be a number').waitFor();
    await plan.getByText('not a JSON object').waitFor();

    // The CLI's header rule (src/shared/batch-columns.ts): every argument, each once, and key at most.
    await page.getByLabel('Batch file').setInputFiles({
      name: 'orders.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`orderId,amt\nui-${uid}-h1,2\n`),
    });
    await plan.getByText('No row can be started').waitFor();
    await plan
      .getByText(
        'the header row must name the columns orderId and amount, and key if the rows give their keys',
      )
      .waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('runs page: find a run by its key or a payment by its order ID; not found says so', async () => {
  const { page, context, errors } = await open('/runs');
  try {
    const find = async (text: string) => {
      await page.getByLabel('Key or order ID').fill(text);
      await page.getByRole('button', { name: 'Find' }).click();
      await page.waitForURL(new RegExp(`find=${encodeURIComponent(text)}`));
    };
    await find(paid);
    await page.locator('tbody tr', { hasText: `payment-${paid}` }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1, 'the order ID finds its payment only');

    await find(htmlKey);
    await page.locator('tbody tr', { hasText: htmlKey }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1);

    await find(`payment-${late}`);
    await page.locator('tbody tr', { hasText: `payment-${late}` }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1, 'a payment by its key too');

    await find(`nothing-${uid}`);
    await page.getByText(`No run found: no key is "nothing-${uid}"`).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('with tokens: a token that may not start runs sees no Start page, one that may run payments sees only them', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-ui-tokens-'));
  const tokensFile = path.join(dir, 'tokens.json');
  const reader = createToken(tokensFile, 'reader', ['read']);
  const payer = createToken(tokensFile, 'payer', ['run:collect-payment']);
  const guarded = await startStack({ api: { tokensFile }, worker: false });
  const openAs = async (token: string, route: string) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // As the token dialog keeps it: for this tab only.
    await context.addInitScript((t) => sessionStorage.setItem('superscript.token', t), token);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${guarded.api!.url}/#${route}`);
    return { page, context, errors };
  };
  try {
    const asReader = await openAs(reader, '/start');
    try {
      await asReader.page.getByText('Your token may not start runs').waitFor();
      assert.equal(await asReader.page.getByRole('form', { name: 'Run a script' }).count(), 0);
      assert.equal(await asReader.page.getByLabel('Batch file').count(), 0);
      assert.equal(
        await asReader.page.getByRole('navigation').getByRole('link', { name: 'Start' }).count(),
        0,
      );
      assert.deepEqual(asReader.errors, []);
    } finally {
      await asReader.context.close();
    }

    const asPayer = await openAs(payer, '/runs');
    try {
      await asPayer.page.getByRole('navigation').getByRole('link', { name: 'Start' }).click();
      const form = asPayer.page.getByRole('form', { name: 'Run a script' });
      await form.waitFor();
      assert.deepEqual(await form.getByLabel('Script').locator('option').allInnerTexts(), [
        'collect-payment',
      ]);
      await asPayer.page.getByLabel('Batch file').waitFor();
      assert.deepEqual(asPayer.errors, []);
    } finally {
      await asPayer.context.close();
    }
  } finally {
    await guarded.stop();
  }
});
