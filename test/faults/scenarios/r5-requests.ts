// R5's malformed requests: bodies that are not JSON or not an object, fields of the wrong type or size,
// unknown routes and methods. Each must get a 4xx that says what is wrong, and start nothing.
import type { HttpRequest } from '../http.js';

export interface HostileCase {
  name: string;
  request: HttpRequest;
  /** Acceptable status codes. */
  expect: number[];
  /** The message must match this, so it tells the caller what to fix. */
  mentions?: RegExp;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The cases; `t` makes every ID unique, so a wrongly accepted request cannot attach to an older run. */
export function hostileCases(t: string): HostileCase[] {
  const order = `r5${t}`;
  const post = (path: string, body: string | Buffer | object, headers: Record<string, string> = {}) =>
    ({
      method: 'POST',
      path,
      body,
      headers: typeof body === 'object' && !Buffer.isBuffer(body) ? headers : { ...JSON_HEADERS, ...headers },
    }) satisfies HttpRequest;
  const pay = (body: string | object, headers?: Record<string, string>) =>
    post('/v1/payments', body, headers);
  const run = (body: object, headers?: Record<string, string>) => post('/v1/runs', body, headers);
  const sleeper = (args: object) =>
    run({ script: 'sleeper', args }, { 'idempotency-key': `r5-${t}-sleeper` });
  const bad = 400;

  return [
    // Bodies that are not JSON, or not an object.
    {
      name: 'truncated JSON',
      request: pay(`{"orderId":"${order}a","amount":10`),
      expect: [bad],
      mentions: /JSON/,
    },
    {
      name: 'trailing garbage',
      request: pay(`{"orderId":"${order}b","amount":10}}`),
      expect: [bad],
      mentions: /JSON/,
    },
    { name: 'empty body', request: pay(''), expect: [bad], mentions: /empty/i },
    { name: 'JSON null', request: pay('null'), expect: [bad] },
    {
      name: 'JSON array',
      request: pay(`[{"orderId":"${order}c","amount":10}]`),
      expect: [bad],
      mentions: /object/,
    },
    { name: 'JSON string', request: pay('"pay me"'), expect: [bad], mentions: /object/ },
    { name: 'NaN amount (not JSON)', request: pay(`{"orderId":"${order}d","amount":NaN}`), expect: [bad] },
    {
      name: '__proto__ pollution',
      request: pay(`{"orderId":"${order}e","amount":10,"__proto__":{"admin":true}}`),
      expect: [bad],
    },
    {
      name: 'constructor.prototype pollution',
      request: pay(`{"orderId":"${order}f","amount":10,"constructor":{"prototype":{"admin":true}}}`),
      expect: [bad],
    },
    // Sizes.
    {
      name: '3 MB body',
      request: pay(`{"orderId":"${order}g","amount":10,"pad":"${'x'.repeat(3 * 1024 * 1024)}"}`),
      expect: [413],
      mentions: /too large/,
    },
    {
      name: '100 KB order ID',
      request: pay({ orderId: `${order}h${'x'.repeat(100_000)}`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    // Schema violations and wrong types.
    { name: 'missing amount', request: pay({ orderId: `${order}i` }), expect: [bad], mentions: /amount/ },
    { name: 'missing orderId', request: pay({ amount: 10 }), expect: [bad], mentions: /orderId/ },
    {
      name: 'amount as string',
      request: pay({ orderId: `${order}j`, amount: '10' }),
      expect: [bad],
      mentions: /amount/,
    },
    {
      name: 'amount negative',
      request: pay({ orderId: `${order}k`, amount: -5 }),
      expect: [bad],
      mentions: /amount/,
    },
    {
      name: 'amount zero',
      request: pay({ orderId: `${order}l`, amount: 0 }),
      expect: [bad],
      mentions: /amount/,
    },
    {
      name: 'amount 1e300',
      request: pay({ orderId: `${order}m`, amount: 1e300 }),
      expect: [bad],
      mentions: /amount/,
    },
    { name: 'amount as object', request: pay({ orderId: `${order}n`, amount: { $gt: 0 } }), expect: [bad] },
    {
      name: 'orderId as number',
      request: pay({ orderId: 12345, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    { name: 'orderId as array', request: pay({ orderId: [`${order}o`], amount: 10 }), expect: [bad] },
    { name: 'orderId empty', request: pay({ orderId: '', amount: 10 }), expect: [bad], mentions: /orderId/ },
    {
      name: 'unknown field',
      request: pay({ orderId: `${order}p`, amount: 10, currency: 'EUR' }),
      expect: [bad],
      mentions: /currency/,
    },
    // Shell metacharacters and path traversal in arguments (argv is never a shell string, but refuse anyway).
    {
      name: 'orderId "; rm -rf /"',
      request: pay({ orderId: `${order}q; rm -rf /`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    {
      name: 'orderId $(...)',
      request: pay({ orderId: `$(touch /tmp/${order})`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    {
      name: 'orderId backticks',
      request: pay({ orderId: `\`id\`${order}`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    {
      name: 'orderId pipe',
      request: pay({ orderId: `${order}r|cat /etc/passwd`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    {
      name: 'orderId path traversal',
      request: pay({ orderId: `../../etc/${order}`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    {
      name: 'orderId newline',
      request: pay({ orderId: `${order}s\nforged line`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    {
      name: 'orderId NUL byte',
      request: pay({ orderId: `${order}t\u0000`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    {
      name: 'orderId leading dash',
      request: pay({ orderId: `-rf${order}`, amount: 10 }),
      expect: [bad],
      mentions: /orderId/,
    },
    // The non-idempotent demonstration path exists only under `superscript dev`, whatever the body.
    {
      name: 'traditional: metacharacters',
      request: post('/v1/payments/traditional', { orderId: `${order}u;reboot`, amount: 10 }),
      expect: [404],
      mentions: /No route/,
    },
    {
      name: 'traditional: unknown field',
      request: post('/v1/payments/traditional', { orderId: `${order}v`, amount: 10, x: 1 }),
      expect: [404],
      mentions: /No route/,
    },
    {
      name: 'traditional: amount as string',
      request: post('/v1/payments/traditional', { orderId: `${order}w`, amount: '1' }),
      expect: [404],
    },
    // Content types and methods.
    {
      name: 'text/plain body',
      request: {
        method: 'POST',
        path: '/v1/payments',
        headers: { 'content-type': 'text/plain' },
        body: `{"orderId":"${order}x","amount":10}`,
      },
      expect: [415],
      mentions: /JSON/,
    },
    {
      name: 'form-encoded body',
      request: {
        method: 'POST',
        path: '/v1/payments',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `orderId=${order}y&amount=10`,
      },
      expect: [415],
      mentions: /JSON/,
    },
    {
      name: 'no content type',
      request: { method: 'POST', path: '/v1/payments', body: `{"orderId":"${order}z","amount":10}` },
      expect: [415],
    },
    {
      name: 'GET /v1/payments',
      request: { method: 'GET', path: '/v1/payments' },
      expect: [405],
      mentions: /POST/,
    },
    {
      name: 'PUT /v1/payments',
      request: { method: 'PUT', path: '/v1/payments', body: { orderId: `${order}A`, amount: 10 } },
      expect: [405],
    },
    { name: 'DELETE /v1/runs', request: { method: 'DELETE', path: '/v1/runs' }, expect: [405] },
    { name: 'PATCH /v1/batches', request: { method: 'PATCH', path: '/v1/batches', body: {} }, expect: [405] },
    {
      name: 'unknown route',
      request: { method: 'POST', path: '/v1/admin/exec', body: { cmd: 'id' } },
      expect: [404],
    },
    // Query parameters.
    {
      name: 'wait=forever',
      request: { ...pay({ orderId: `${order}B`, amount: 10 }), path: '/v1/payments?wait=forever' },
      expect: [bad],
      mentions: /wait/,
    },
    {
      name: 'wait=11m',
      request: { ...pay({ orderId: `${order}I`, amount: 10 }), path: '/v1/payments?wait=11m' },
      expect: [bad],
      mentions: /wait/,
    },
    // Generic runs: unknown script, keys.
    {
      name: 'unknown script',
      request: run({ script: 'rm', args: {} }, { 'idempotency-key': `r5-${t}-a` }),
      expect: [bad],
      mentions: /Unknown script/,
    },
    {
      name: 'script path traversal',
      request: run({ script: '../../../bin/sh', args: {} }, { 'idempotency-key': `r5-${t}-b` }),
      expect: [bad],
      mentions: /script/,
    },
    {
      name: 'script absolute path',
      request: run({ script: '/bin/sh', args: { c: 'id' } }, { 'idempotency-key': `r5-${t}-c` }),
      expect: [bad],
      mentions: /script/,
    },
    {
      name: 'script missing',
      request: run({ args: {} }, { 'idempotency-key': `r5-${t}-d` }),
      expect: [bad],
      mentions: /script/,
    },
    {
      name: 'script as number',
      request: run({ script: 7 }, { 'idempotency-key': `r5-${t}-e` }),
      expect: [bad],
      mentions: /script/,
    },
    {
      name: 'key missing',
      request: run({ script: 'sleeper', args: { seconds: 0, tag: `r5-${t}` } }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'key empty header',
      request: run({ script: 'exit-with', args: { code: 0 } }, { 'idempotency-key': '' }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'key 201 characters',
      request: run(
        { script: 'exit-with', args: { code: 0 } },
        { 'idempotency-key': `k${t}`.padEnd(201, 'k') },
      ),
      expect: [bad],
      mentions: /limit/,
    },
    {
      name: 'key 10 KB',
      request: run({ script: 'exit-with', args: { code: 0 }, key: `k${t}`.padEnd(10_000, 'k') }),
      expect: [bad],
      mentions: /limit/,
    },
    {
      name: 'key with slash',
      request: run({ script: 'exit-with', args: { code: 0 } }, { 'idempotency-key': `r5/${t}/../x` }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'key with spaces',
      request: run({ script: 'exit-with', args: { code: 0 } }, { 'idempotency-key': `r5 ${t}` }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'key leading dash',
      request: run({ script: 'exit-with', args: { code: 0 } }, { 'idempotency-key': `-r5${t}` }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'key non-ASCII',
      request: run({ script: 'exit-with', args: { code: 0 }, key: `ключ-${t}` }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'key as number',
      request: run({ script: 'exit-with', args: { code: 0 }, key: 42 }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'header and body keys differ',
      request: run(
        { script: 'exit-with', args: { code: 0 }, key: `r5-${t}-f` },
        { 'idempotency-key': `r5-${t}-g` },
      ),
      expect: [bad],
      mentions: /differ/,
    },
    // Generic runs: arguments.
    {
      name: 'args as array',
      request: run({ script: 'exit-with', args: [0] }, { 'idempotency-key': `r5-${t}-h` }),
      expect: [bad],
      mentions: /args/,
    },
    {
      name: 'unknown argument',
      request: run(
        { script: 'exit-with', args: { code: 0, shell: '/bin/sh' } },
        { 'idempotency-key': `r5-${t}-i` },
      ),
      expect: [bad],
      mentions: /shell/,
    },
    {
      name: 'argument wrong type',
      request: sleeper({ seconds: '1', tag: `r5-${t}` }),
      expect: [bad],
      mentions: /seconds/,
    },
    {
      name: 'argument over maximum',
      request: sleeper({ seconds: 100_000, tag: `r5-${t}` }),
      expect: [bad],
      mentions: /seconds/,
    },
    {
      name: 'argument not integer',
      request: run({ script: 'exit-with', args: { code: 1.5 } }, { 'idempotency-key': `r5-${t}-j` }),
      expect: [bad],
      mentions: /code/,
    },
    {
      name: 'argument metacharacters',
      request: sleeper({ seconds: 1, tag: `r5-${t};id` }),
      expect: [bad],
      mentions: /tag/,
    },
    {
      name: 'argument path traversal',
      request: sleeper({ seconds: 1, tag: '../../../../tmp/x' }),
      expect: [bad],
      mentions: /tag/,
    },
    {
      name: 'argument 5000 characters',
      request: run(
        { script: 'show-env', args: { tag: 'x'.repeat(5000) } },
        { 'idempotency-key': `r5-${t}-k` },
      ),
      expect: [bad],
      mentions: /tag/,
    },
    {
      name: 'templated key from $(...)',
      request: run({ script: 'show-env', args: { tag: `$(id)${t}` } }),
      expect: [bad],
      mentions: /key/i,
    },
    {
      name: 'unknown top-level field',
      request: run(
        { script: 'exit-with', args: { code: 0 }, command: 'rm -rf /' },
        { 'idempotency-key': `r5-${t}-l` },
      ),
      expect: [bad],
      mentions: /command/,
    },
    // Reads and actions on runs.
    {
      name: 'GET run with traversal id',
      request: { method: 'GET', path: '/v1/runs/..%2F..%2Fetc%2Fpasswd' },
      expect: [bad, 404],
    },
    {
      name: 'runs?status=bogus',
      request: { method: 'GET', path: '/v1/runs?status=bogus' },
      expect: [bad],
      mentions: /status/,
    },
    {
      name: 'runs?limit=100000',
      request: { method: 'GET', path: '/v1/runs?limit=100000' },
      expect: [bad],
      mentions: /limit/,
    },
    {
      name: 'runs?since=yesterday',
      request: { method: 'GET', path: '/v1/runs?since=yesterday' },
      expect: [bad],
      mentions: /since/,
    },
    {
      name: 'runs?script=query injection',
      request: { method: 'GET', path: `/v1/runs?script=${encodeURIComponent("x' OR 1=1 OR WorkflowId='")}` },
      expect: [bad],
      mentions: /script/,
    },
    {
      name: 'cancel unknown run',
      request: { method: 'POST', path: `/v1/runs/r5-${t}-none/cancel`, headers: JSON_HEADERS },
      expect: [404],
    },
    {
      name: 'retry unknown run',
      request: { method: 'POST', path: `/v1/runs/r5-${t}-none/retry`, headers: JSON_HEADERS },
      expect: [404],
    },
    // Batches: one bad order refuses the whole batch.
    {
      name: 'batch with no orders',
      request: post('/v1/batches', { batchId: `r5-${t}-a`, orders: [] }),
      expect: [bad],
      mentions: /orders/,
    },
    {
      name: 'batch with a duplicate order',
      request: post('/v1/batches', {
        batchId: `r5-${t}-b`,
        orders: [
          { orderId: `${order}C`, amount: 1 },
          { orderId: `${order}C`, amount: 1 },
        ],
      }),
      expect: [bad],
      mentions: /twice/,
    },
    {
      name: 'batch with one hostile order',
      request: post('/v1/batches', {
        batchId: `r5-${t}-c`,
        orders: [
          { orderId: `${order}D`, amount: 1 },
          { orderId: `${order}E;reboot`, amount: 1 },
        ],
      }),
      expect: [bad],
      mentions: /orders\[1\]/,
    },
    {
      name: 'batch id traversal',
      request: post('/v1/batches', { batchId: '../../x', orders: [{ orderId: `${order}F`, amount: 1 }] }),
      expect: [bad],
      mentions: /batchId/,
    },
    {
      name: 'batch maxConcurrent 0',
      request: post('/v1/batches', {
        batchId: `r5-${t}-d`,
        orders: [{ orderId: `${order}G`, amount: 1 }],
        maxConcurrent: 0,
      }),
      expect: [bad],
      mentions: /maxConcurrent/,
    },
  ];
}
