// The request journal stays bounded: the keys used most recently, the latest entries of each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestJournal } from '../src/api/request-journal.js';

const answered = (workflowId: string, executed = false) => ({
  executed,
  replayed: !executed,
  run: { workflowId, runId: 'r1' },
});

test('keeps the latest entries of a key and counts the ones it dropped', () => {
  const journal = new RequestJournal(10, 3);
  journal.recordOutcome(answered('k', true), 'request');
  for (let i = 0; i < 4; i++) journal.recordOutcome(answered('k'), 'request', `token-${i}`);
  const { entries, dropped } = journal.of('k');
  assert.deepEqual(
    entries.map((e) => [e.disposition, e.token]),
    [
      ['replayed', 'token-1'],
      ['replayed', 'token-2'],
      ['replayed', 'token-3'],
    ],
  );
  assert.equal(dropped, 2);
});

test('forgets the key used least recently when it holds too many', () => {
  const journal = new RequestJournal(2, 5);
  journal.recordOutcome(answered('a', true), 'request');
  journal.recordOutcome(answered('b', true), 'request');
  journal.recordOutcome(answered('a'), 'retry'); // a is now the most recent
  journal.recordOutcome(answered('c', true), 'request');
  assert.equal(journal.of('b').entries.length, 0);
  assert.deepEqual(
    journal.of('a').entries.map((e) => e.action),
    ['request', 'retry'],
  );
  assert.equal(journal.of('c').entries.length, 1);
});
