import { serverSigkill } from './scenarios/r3-server-sigkill.js';
import { FIXTURE_REGISTRY } from './stack.js';
import { formatScenario } from './report.js';
const ctx = { address: 'unused', cli: 'src' as const, log: console.log };
console.log(formatScenario(await serverSigkill(ctx, { orders: 200, maxConcurrent: 20, killAtFraction: 0.25, downMs: 3000, registryFile: FIXTURE_REGISTRY })));
