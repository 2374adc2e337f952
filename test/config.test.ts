// The script registry, argument validation, keys and settings: pure functions, no server.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  argsFromStrings,
  keyFromTemplate,
  loadRegistry,
  requestKey,
  scriptArgv,
  validateArgs,
} from '../src/config/scripts.js';
import { loadSettings } from '../src/config/settings.js';
import { ensureTemporalCli } from '../src/devserver/temporal-cli.js';
import { ConfigError, InvalidRequestError, MissingToolError } from '../src/errors.js';
import { validateKey } from '../src/runs/keys.js';
import { FIXTURE_REGISTRY } from './support/paths.js';

/** A registry of one script `s` taking these arguments. */
const withArgs = (args: unknown[]) => registryFrom({ scripts: { s: { path: 'x.sh', args } } });

function registryFrom(json: unknown) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-config-'));
  const file = path.join(dir, 'registry.json');
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return () => loadRegistry(file);
}

test('the registry resolves script paths against its own folder', () => {
  const registry = loadRegistry(FIXTURE_REGISTRY);
  assert.equal(
    registry.get('sleeper').path,
    path.join(path.dirname(FIXTURE_REGISTRY), 'scripts', 'sleeper.sh'),
  );
  assert.equal(registry.get('sleeper').timeoutSeconds, 30);
  assert.equal(registry.get('exit-with').killGraceSeconds, 5, 'defaults apply');
  assert.deepEqual(registry.get('unsure-sleeper').verify, {
    path: path.join(path.dirname(FIXTURE_REGISTRY), 'scripts', 'cannot-tell.sh'),
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
  for (const rate of [0, -1, '20', null, 1001]) {
    assert.throws(
      registryFrom({ scripts: { ok: { path: 'x.sh', ratePerSecond: rate } } }),
      (e: Error) =>
        e instanceof ConfigError &&
        /scripts\.ok\.ratePerSecond: ratePerSecond is how many times a second the script may start/.test(
          e.message,
        ),
      `ratePerSecond ${JSON.stringify(rate)}`,
    );
  }
  assert.equal(
    registryFrom({ scripts: { ok: { path: 'x.sh', ratePerSecond: 0.5 } } })().get('ok').ratePerSecond,
    0.5,
  );
});

test('arguments are checked against the schema and come back in declared order', () => {
  const spec = loadRegistry(FIXTURE_REGISTRY).get('collect-payment');
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
  const tagged = loadRegistry(FIXTURE_REGISTRY).get('show-env');
  assert.throws(() => validateArgs(tagged, { tag: 'a\nb' }), /control characters/);
});

test('a string argument starting with "-" is refused unless its registry entry allows it', () => {
  const spec = withArgs([
    { name: 'plain', type: 'string' },
    { name: 'flag', type: 'string', allowLeadingDash: true },
  ])().get('s');
  assert.equal(spec.args[0]?.type === 'string' && spec.args[0].allowLeadingDash, false, 'the default');
  assert.throws(
    () => validateArgs(spec, { plain: '--delete-all', flag: 'x' }),
    (e: Error) =>
      e instanceof InvalidRequestError &&
      e.field === 'args.plain' &&
      /must not start with "-", which the script could take for an option/.test(e.message),
  );
  assert.throws(() => validateArgs(spec, { plain: '-', flag: 'x' }), /must not start with "-"/);
  assert.deepEqual(validateArgs(spec, { plain: 'a-b', flag: '--verbose' }), {
    plain: 'a-b',
    flag: '--verbose',
  });
  assert.throws(
    withArgs([{ name: 'a', type: 'string', allowLeadingDash: 'yes' }]),
    (e: Error) => e instanceof ConfigError && /allowLeadingDash/.test(e.message),
  );
});

test('a registry pattern must match the whole value', () => {
  const spec = withArgs([
    { name: 'word', type: 'string', pattern: '[a-z]+' },
    { name: 'either', type: 'string', pattern: 'ab|cd' },
  ])().get('s');
  assert.deepEqual(validateArgs(spec, { word: 'abc', either: 'cd' }), { word: 'abc', either: 'cd' });
  for (const [word, either] of [
    ['x;rm', 'ab'],
    ['ABC', 'ab'],
    ['abc', 'abd'],
    ['abc', 'xcd'],
  ]) {
    assert.throws(() => validateArgs(spec, { word, either }), /must match/, `${word} ${either}`);
  }
  // Patterns already anchored keep working.
  const payment = loadRegistry(FIXTURE_REGISTRY).get('collect-payment');
  assert.deepEqual(validateArgs(payment, { orderId: 'A-1', amount: 5 }), { orderId: 'A-1', amount: 5 });
});

test('command-line strings become typed arguments', () => {
  const spec = loadRegistry(FIXTURE_REGISTRY).get('collect-payment');
  assert.deepEqual(argsFromStrings(spec, { orderId: 'A1', amount: '12.5' }), { orderId: 'A1', amount: 12.5 });
  assert.throws(() => argsFromStrings(spec, { orderId: 'A1', amount: 'ten' }), /must be a number/);
});

test('a script can form its key from its arguments', () => {
  const spec = loadRegistry(FIXTURE_REGISTRY).get('show-env');
  assert.equal(keyFromTemplate(spec, { tag: 'blue' }), 'env-blue');
  assert.equal(
    keyFromTemplate(loadRegistry(FIXTURE_REGISTRY).get('sleeper'), { seconds: 1, tag: 'x' }),
    undefined,
  );
  // With a template, the template's key is the key: the same one may be named, another is refused.
  assert.equal(requestKey(spec, { tag: 'blue' }, undefined), 'env-blue');
  assert.equal(requestKey(spec, { tag: 'blue' }, 'env-blue'), 'env-blue');
  assert.throws(
    () => requestKey(spec, { tag: 'blue' }, 'env-red'),
    (e: Error) =>
      e instanceof InvalidRequestError && e.field === 'key' && /"env-blue", not "env-red"/.test(e.message),
  );
  assert.equal(requestKey(loadRegistry(FIXTURE_REGISTRY).get('sleeper'), { seconds: 1, tag: 'x' }, 'k'), 'k');
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

test('a Temporal CLI too old for the dev server is refused with what was found and what to do', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'superscript-cli-'));
  const fake = (version: string) => {
    const file = path.join(dir, version, 'temporal');
    mkdirSync(path.dirname(file));
    writeFileSync(file, `#!/bin/sh\necho "temporal version ${version} (server 1.20.0) (ui 2.10.0)"\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const old = fake('0.10.5');
  await assert.rejects(
    ensureTemporalCli({ explicitPath: old }),
    (e: Error) =>
      e instanceof MissingToolError &&
      e.message.includes(`TEMPORAL_CLI_PATH is ${old}, which reports version 0.10.5`) &&
      /needs Temporal CLI 0\.13\.1 or newer/.test(e.message) &&
      /unset it/.test(e.message),
  );
  const justBefore = fake('0.13.0');
  const savedPath = process.env.PATH;
  process.env.PATH = `${path.dirname(justBefore)}${path.delimiter}${savedPath}`;
  try {
    await assert.rejects(
      ensureTemporalCli(),
      (e: Error) =>
        e instanceof MissingToolError &&
        e.message.includes(`The \`temporal\` on PATH is ${justBefore}, which reports version 0.13.0`) &&
        /take it off PATH/.test(e.message),
    );
  } finally {
    process.env.PATH = savedPath;
  }
  for (const ok of ['0.13.1', '1.5.1', '1.10.0']) {
    const cli = fake(ok);
    assert.equal(await ensureTemporalCli({ explicitPath: cli }), cli);
  }
});
