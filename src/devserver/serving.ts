// Waiting for a Temporal server we started to answer, for as long as its process lives.
import { Connection } from '@temporalio/client';

/**
 * Resolves true once the frontend at `address` answers (and knows `namespace`, when given); false when
 * `alive()` turns false or `timeoutMs` passes first.
 */
export async function untilServing(
  address: string,
  opts: { namespace?: string; timeoutMs: number; alive: () => boolean },
): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline && opts.alive()) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        if (opts.namespace) await connection.workflowService.describeNamespace({ namespace: opts.namespace });
        return true;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}
