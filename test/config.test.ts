// The script registry, argument validation, keys and settings: pure functions, no server.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  argsFromStrings,
  keyFromTemplate,
  loadRegistry,
  scriptArgv,
  validateArgs,
} from '../src/config/scripts.js';
import { loadSettings } from '../src/config/settings.js';
import { ConfigError, InvalidRequestError } from '../src/errors.js';
import { validateKey } from '../src/runs/keys.js';
import { REGISTRY_FILE } from './support/harness.js';

function registryFrom(json: unknown) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-config-'));
  const file = path.join(dir, 'registry.json');
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return () => loadRegistry(file);
}

test('the registry resolves script paths against its own folder', () => {
  const registry = loadRegistry(REGISTRY_FILE);
  assert.equal(registry.get('sleeper').path, path.join(path.dirname(REGISTRY_FILE), 'scripts', 'sleeper.sh'));
  assert.equal(registry.get('sleeper').timeoutSeconds, 30);
  assert.equal(registry.get('exit-with').killGraceSeconds, 5, 'defaults apply');
  assert.deepEqual(registry.get('unsure-sleeper').verify, {
    path: path.join(path.dirname(REGISTRY_FILE), 'scripts', 'cannot-tell.sh'),
    timeoutSeconds: 10,
  });
  assert.equal(registry.get('exit-with').verify, undefined);
});

test('a bad registry names the bad field', () => {
  assert.throws(
    registryFrom('{ not json'),
    (e: Error) => e instanceof ConfigError && /Cannot read/.test(e.message),
  );
  assert.throws(
    registryFrom({ scripts: { ok: { path: 'x.sh', timeoutSeconds: -1 } } }),
    (e: Error) => e instanceof ConfigError && /scripts\.ok\.timeoutSeconds/.test(e.message),
  );
  assert.throws(
    registryFrom({ scripts: { ok: { path: 'x.sh', colour: 'red' } } }),
    (e: Error) => e instanceof ConfigError && /colour/.test(e.message),
  );
  assert.throws(
    registryFrom({ scripts: { ok: { path: 'x.sh', verify: { path: 'v.sh', args: [] } } } }),
    (e: Error) => e instanceof ConfigError && /scripts\.ok\.verify/.test(e.message),
  );
  assert.throws(
    registryFrom({ scripts: { 'Bad Name': { path: 'x.sh' } } }),
    (e: Error) => e instanceof ConfigError && /Bad Name/.test(e.message),
  );
  assert.throws(
    registryFrom({ scripts: { ok: { path: 'x.sh', args: [{ name: 'a', type: 'string', pattern: '(' }] } } }),
    (e: Error) => e instanceof ConfigError && /pattern/.test(e.message),
  );
  assert.throws(
    registryFrom({ scripts: { ok: { path: 'x.sh', key: 'k-{nope}' } } }),
    (e: Error) => e instanceof ConfigError && /unknown argument "nope"/.test(e.message),
  );
});

test('arguments are checked against the schema and come back in declared order', () => {
  const spec = loadRegistry(REGISTRY_FILE).get('collect-payment');
  assert.deepEqual(Object.keys(validateArgs(spec, { amount: 5, orderId: 'A-1' })), ['orderId', 'amount']);
  assert.deepEqual(scriptArgv(spec, { orderId: 'A-1', amount: 5 }), ['A-1', '5']);
  const refused = (args: unknown, field: string, message: RegExp) =>
    assert.throws(
      () => validateArgs(spec, args),
      (e: Error) => e instanceof InvalidRequestError && e.field === field && message.test(e.message),
    );
  refused({ orderId: 'A1' }, 'args.amount', /is required/);
  refused({ orderId: 'A1', amount: '5' }, 'args.amount', /must be a number, not a string/);
  refused({ orderId: 'A1', amount: 0 }, 'args.amount', /at least 0.01/);
  refused({ orderId: 'A1; rm -rf /', amount: 5 }, 'args.orderId', /must match/);
  refused({ orderId: '../../etc/passwd', amount: 5 }, 'args.orderId', /must match/);
  refused({ orderId: 'A1', amount: 5, extra: 1 }, 'args.extra', /Unknown argument "extra"/);
  refused(['A1', 5], 'args', /must be an object/);
  const tagged = loadRegistry(REGISTRY_FILE).get('show-env');
  assert.throws(() => validateArgs(tagged, { tag: 'a\nb' }), /control characters/);
});

test('command-line strings become typed arguments', () => {
  const spec = loadRegistry(REGISTRY_FILE).get('collect-payment');
  assert.deepEqual(argsFromStrings(spec, { orderId: 'A1', amount: '12.5' }), { orderId: 'A1', amount: 12.5 });
  assert.throws(() => argsFromStrings(spec, { orderId: 'A1', amount: 'ten' }), /must be a number/);
});

test('a script can form its key from its arguments', () => {
  const spec = loadRegistry(REGISTRY_FILE).get('show-env');
  assert.equal(keyFromTemplate(spec, { tag: 'blue' }), 'env-blue');
  assert.equal(
    keyFromTemplate(loadRegistry(REGISTRY_FILE).get('sleeper'), { seconds: 1, tag: 'x' }),
    undefined,
  );
});

test('keys have a length limit and a character set', () => {
  assert.equal(validateKey('order-1:retry@2024=ok+x.y_z'), 'order-1:retry@2024=ok+x.y_z');
  for (const bad of ['', 'has space', '-leading-dash', 'a/b', 'x'.repeat(201), 'é', 'a\nb']) {
    assert.throws(() => validateKey(bad), InvalidRequestError, JSON.stringify(bad));
  }
  assert.throws(() => validateKey(undefined), /Idempotency-Key header/);
  assert.equal(validateKey('x'.repeat(200)).length, 200);
});

test('settings come from the environment with defaults, and bad values are named', () => {
  const s = loadSettings({});
  assert.equal(s.apiPort, 8080);
  assert.equal(s.apiHost, '127.0.0.1');
  assert.equal(s.durability, 'full');
  assert.equal(s.taskQueue, 'superscript');
  assert.equal(
    loadSettings({ SUPERSCRIPT_API_PORT: '9000', SUPERSCRIPT_DEV_SERVER_ARGS: ' --a  b ' }).apiPort,
    9000,
  );
  assert.deepEqual(loadSettings({ SUPERSCRIPT_DEV_SERVER_ARGS: ' --a  b ' }).devServerArgs, ['--a', 'b']);
  assert.throws(() => loadSettings({ SUPERSCRIPT_API_PORT: 'http' }), /SUPERSCRIPT_API_PORT/);
  assert.throws(() => loadSettings({ SUPERSCRIPT_DURABILITY: 'maybe' }), /SUPERSCRIPT_DURABILITY/);
});
