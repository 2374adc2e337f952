import { ManagedServer } from './stack.js';
import { scaleOut } from './scenarios/r4-scale-out.js';
const server = await ManagedServer.start({ durability: 'memory' });
const ctx = { address: server.address, cli: 'src' as const, log: console.log };
console.log(JSON.stringify(await scaleOut(ctx), null, 1));
await server.stop();
