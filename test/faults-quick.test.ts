// The quick fault subset for `npm test`: R1 scaled down, R5 in full (its authorization cases and its
// hand-started workflows too), R8 (every workflow type started by hand), and R9 and R10 scaled down, using
// the scenario functions of `npm run faults` against the server test/run.ts provides (workers and API are
// children, from source).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ScenarioContext, ScenarioResult } from './faults/scenario.js';
import { dedupStorm } from './faults/scenarios/r1-dedup-storm.js';
import { hostileInput } from './faults/scenarios/r5-hostile-input.js';
import { handStarted } from './faults/scenarios/r8-hand-started.js';
import { historyDeleted } from './faults/scenarios/r9-history-deleted.js';
import { keyStoreOutage } from './faults/scenarios/r10-key-store-outage.js';
import { devTopology, startDevTopology, type RunningTopology } from './faults/topology.js';
import { ensureTemporalCli } from '../src/devserver/temporal-cli.js';

let ownServer: RunningTopology | undefined;

/** test/run.ts sets TEMPORAL_ADDRESS; a file run on its own starts (and stops) a server of its own. */
async function context(): Promise<ScenarioContext> {
  const address = process.env.TEMPORAL_ADDRESS;
  const cliPath = await ensureTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
  ownServer ??= address ? undefined : await startDevTopology(cliPath);
  // From source: the test checks the code as it is, not whatever dist/ was last built from.
  return {
    topology: ownServer?.topology ?? devTopology({ address: address!, cliPath }),
    cli: 'src',
    log: () => {},
  };
}

after(async () => {
  await ownServer?.stop();
});

function explain(result: ScenarioResult): string {
  return `${result.scenario}: ${JSON.stringify(result.figures)}\n${result.details.join('\n')}`;
}

test(
  'R1 quick: 100 concurrent payment requests over 5 order IDs charge each order once',
  { timeout: 180_000 },
  async () => {
    const result = await dedupStorm(await context(), { requests: 100, keys: 5 });
    assert.equal(result.held, true, explain(result));
    assert.equal(result.figures.ledgerLines, 5);
    // The 100 concurrent requests, then the late duplicates that replay the stored result.
    assert.equal(result.figures.responses200, 100 + (result.figures.lateDuplicates as number));
    assert.equal(result.figures.lateDuplicatesReplayed, result.figures.lateDuplicates);
    assert.equal(result.figures.maxRunIdsPerKey, 1);
    assert.equal(result.figures.maxResultsPerKey, 1);
  },
);

test(
  'R5: hostile input gets a clear 4xx and starts nothing; hand-started workflows run only what the registry allows',
  { timeout: 180_000 },
  async () => {
    // Other test files share the server's namespace, so only this scenario's task queue is counted.
    const result = await hostileInput(await context(), { namespaceExclusive: false });
    assert.equal(result.held, true, explain(result));
    assert.ok((result.figures.cases as number) >= 40);
    assert.equal(result.figures.answered4xx, result.figures.cases);
    assert.equal(result.figures.workflowsStartedOnQueue, 0);
    assert.equal(result.figures.ledgerLines, 0);
    // The authorization cases: every route without a token, bad and revoked tokens, missing scopes, Host.
    assert.ok((result.figures.authorizationCases as number) >= 25);
    const statuses = JSON.parse(result.figures.statuses as string) as Record<string, number>;
    for (const status of ['401', '403', '415', '421']) assert.ok(statuses[status]! > 0, `no ${status} case`);
    // Workflows started straight on Temporal: each ends as expected, and only the failing script ran, once.
    assert.equal(result.figures.startsEndedAsExpected, result.figures.startCases);
    const executions = JSON.parse(result.figures.startExecutions as string) as Record<string, number>;
    assert.equal(executions['failing script, policy.maximumAttempts 5'], 1);
    assert.equal(
      Object.values(executions).reduce((a, b) => a + b, 0),
      1,
    );
    assert.equal(result.figures.startLedgerLines, 0);
  },
);

test(
  'R8: every workflow type started by hand for done, failed, unknown and in-flight keys runs nothing again',
  { timeout: 300_000 },
  async () => {
    const result = await handStarted(await context());
    assert.equal(result.held, true, explain(result));
    assert.equal(result.figures.extraExecutions, 0);
    assert.ok((result.figures.handStarts as number) >= 14);
  },
);

test(
  "R9: keys deleted from Temporal's history: the same requests replay, changed ones get 422, nothing runs",
  { timeout: 180_000 },
  async () => {
    const result = await historyDeleted(await context(), { payments: 3 });
    assert.equal(result.held, true, explain(result));
    assert.equal(result.figures.replayed, 3);
    assert.equal(result.figures.conflicts422, 3);
    assert.equal(result.figures.scriptExecutions, 1);
  },
);

test(
  'R10: the key store taken away mid-batch: 503 meanwhile, nothing starts unclaimed, every order charged once',
  { timeout: 300_000 },
  async () => {
    const result = await keyStoreOutage(await context(), {
      orders: 40,
      maxConcurrent: 10,
      killAtFraction: 0.25,
      downMs: 3000,
    });
    assert.equal(result.held, true, explain(result));
    assert.equal(result.figures['file.chargedOnce'], 40);
    assert.equal(result.figures['file.paymentDuringOutageStatus'], 503);
  },
);
