// The cluster's namespace, made fit for SuperScript through the server's own APIs: registered with a
// retention that says how long closed runs' histories are kept, and given the SuperScriptScript search attribute runs are listed by.
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { ClusterError } from '../errors.js';
import { setRetentionDays } from '../runs/retention.js';
import { SCRIPT_SEARCH_ATTRIBUTE } from '../shared/runs.js';

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;
/** temporal.api.enums.v1.IndexedValueType KEYWORD (the proto package is not a direct dependency). */
const KEYWORD = 2;

export async function ensureNamespace(
  address: string,
  namespace: string,
  retentionDays: number,
): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const service = connection.workflowService;
    try {
      await service.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(retentionDays * 86_400_000),
      });
    } catch (err) {
      if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
      await setRetentionDays(new Client({ connection, namespace }), retentionDays);
    }
    // Idempotent: an attribute the namespace has is skipped.
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { [SCRIPT_SEARCH_ATTRIBUTE]: KEYWORD },
    });
    await untilQueryable(connection, namespace);
  } finally {
    await connection.close();
  }
}

/**
 * Services learn of a new namespace and its attributes from the database every few seconds. A visibility
 * query on the attribute succeeds once the frontend knows both.
 */
async function untilQueryable(connection: Connection, namespace: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await connection.workflowService.countWorkflowExecutions({
        namespace,
        query: `${SCRIPT_SEARCH_ATTRIBUTE} = 'probe'`,
      });
      return;
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new ClusterError(
    `Namespace ${namespace} or its ${SCRIPT_SEARCH_ATTRIBUTE} search attribute did not become usable: ${(last as Error).message}`,
  );
}
