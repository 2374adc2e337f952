// `npm run build` step: bundles the workflows once, so workers and `exec` do not at start-up.
import { writeFileSync } from 'node:fs';
import { PREBUILT_BUNDLE, buildWorkflowBundle } from './worker.js';

const { code } = await buildWorkflowBundle();
writeFileSync(PREBUILT_BUNDLE, code);
