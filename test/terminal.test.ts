// What the CLI writes of a script's recorded output: escaped at a terminal, byte for byte into a pipe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeControls, forTerminal, terminalSafeJson } from '../src/cli/terminal.js';

test('control characters other than newline and tab are escaped', () => {
  assert.equal(escapeControls('\x1b]0;owned\x07title'), '\\x1b]0;owned\\x07title');
  assert.equal(escapeControls('red \x1b[31mtext\x1b[0m'), 'red \\x1b[31mtext\\x1b[0m');
  assert.equal(escapeControls('a\tb\nc'), 'a\tb\nc');
  assert.equal(escapeControls('over\rwrite\b\x00\x7f'), 'over\\x0dwrite\\x08\\x00\\x7f');
  assert.equal(escapeControls('one-character CSI \u009b2J'), 'one-character CSI \\x9b2J');
  assert.equal(escapeControls('plain, accentué, ünïcode ✓ 🎉'), 'plain, accentué, ünïcode ✓ 🎉');
});

test('escaped for a terminal only: a pipe gets the bytes as recorded', () => {
  const text = 'out\x1b[2J\n';
  assert.equal(forTerminal({ isTTY: true }, text), 'out\\x1b[2J\n');
  assert.equal(forTerminal({ isTTY: false }, text), text);
  assert.equal(forTerminal({}, text), text);
});

test('JSON output escapes DEL and C1 controls too, and still parses to the same data', () => {
  const value = { stdout: 'a\x1b[31m\u009b\x7fb\n' };
  const json = terminalSafeJson(value);
  // eslint-disable-next-line no-control-regex -- no control character but the layout's newlines
  assert.doesNotMatch(json, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  assert.deepEqual(JSON.parse(json), value);
});
