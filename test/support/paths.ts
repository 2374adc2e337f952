// Where the tests, the bench and the fault suite find the project, its fixtures and its registries.
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/config/settings.js';

export const ROOT = PACKAGE_ROOT;
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
/** The test registry: collect-payment with a 2 s heartbeat timeout, sleeper, exit-with, ... */
export const FIXTURE_REGISTRY = path.join(FIXTURES, 'registry.json');
/** The registry SuperScript ships: collect-payment with the default 10 s heartbeat timeout. */
export const SHIPPED_REGISTRY = path.join(ROOT, 'superscript.config.json');
