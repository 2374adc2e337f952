import { ManagedServer, Stack, FIXTURE_REGISTRY } from './stack.js';
import { httpRequest } from './http.js';
let t = Date.now();
const server = await ManagedServer.start({ durability: 'memory' });
console.log('server', Date.now() - t);
for (const cli of ['src', 'dist'] as const) {
  const stack = await Stack.open({ address: server.address, name: 'scratch', registryFile: FIXTURE_REGISTRY, cli, env: { PAYMENT_DELAY_SECONDS: '0.2' } });
  t = Date.now();
  const [w, api] = await Promise.all([stack.startWorker(), stack.startApi()]);
  console.log(cli, 'worker+api', Date.now() - t);
  t = Date.now();
  const w2 = await stack.startWorker();
  console.log(cli, 'worker2', Date.now() - t);
  t = Date.now();
  const r = await httpRequest(api.url, { method: 'POST', path: '/v1/payments', body: { orderId: 'O' + Date.now(), amount: 5 } });
  console.log(r.status, r.ms, r.text.slice(0, 300));
  console.log('count', await stack.countWorkflows(), stack.ledger());
  await stack.stop();
  void w; void w2;
}
await server.stop();
