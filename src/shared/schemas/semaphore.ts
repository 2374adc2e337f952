// The semaphore's shape read back from Temporal, defined once in zod: who holds a permit. The semaphore
// workflow imports it with `import type` only.
import { z } from 'zod';

/** A run holding (or waiting for) a permit of a capped script's semaphore. */
export const PermitHolder = z.object({ workflowId: z.string(), runId: z.string() });
export type PermitHolder = z.infer<typeof PermitHolder>;
