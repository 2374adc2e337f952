// The request journal stays bounded: the keys used most recently, the latest entries of each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestJournal } from '../src/api/request-journal.js';

test('keeps the latest entries of a key and counts the ones it dropped', () => {
  const journal = new RequestJournal(10, 3);
  journal.record('k', { disposition: 'executed', action: 'request' });
  for (let i = 0; i < 4; i++)
    journal.record('k', { disposition: 'replayed', action: 'request', token: `t${i}` });
  const { entries, dropped } = journal.of('k');
  assert.deepEqual(
    entries.map((e) => [e.disposition, e.token]),
    [
      ['replayed', 't1'],
      ['replayed', 't2'],
      ['replayed', 't3'],
    ],
  );
  assert.equal(dropped, 2);
});

test('forgets the key used least recently when it holds too many', () => {
  const journal = new RequestJournal(2, 5);
  journal.record('a', { disposition: 'executed', action: 'request' });
  journal.record('b', { disposition: 'executed', action: 'request' });
  journal.record('a', { disposition: 'executed', action: 'retry' }); // a is now the most recent
  journal.record('c', { disposition: 'executed', action: 'request' });
  assert.equal(journal.of('b').entries.length, 0);
  assert.deepEqual(
    journal.of('a').entries.map((e) => e.action),
    ['request', 'retry'],
  );
  assert.equal(journal.of('c').entries.length, 1);
});
