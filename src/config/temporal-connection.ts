// Where Temporal is. Temporal's own settings apply (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS_*, TEMPORAL_PROFILE and the profile file), read by @temporalio/envconfig, so one
// configuration serves SuperScript, the `temporal` CLI and other SDKs alike.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { TemporalUnavailableError } from '../errors.js';
import { unreadablePayloadsAsNull } from './unreadable-payloads.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

/**
 * The configured target. An explicit `address` (the embedded dev server's, a local cluster's) means a plain
 * local connection in `namespace`, whatever TLS or API key the environment holds for a remote cluster.
 */
export function temporalTarget(address?: string, namespace = 'default'): TemporalTarget {
  if (address) return { address, namespace, connectionOptions: { address } };
  const config = loadClientConnectConfig();
  return {
    address: config.connectionOptions.address ?? 'localhost:7233',
    namespace: config.namespace ?? 'default',
    connectionOptions: config.connectionOptions,
  };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  try {
    const connection = await Connection.connect({ ...target.connectionOptions, address: target.address });
    return new Client({
      connection,
      namespace: target.namespace,
      dataConverter: { payloadCodecs: [unreadablePayloadsAsNull] },
    });
  } catch (err) {
    throw unavailable(target, err);
  }
}

/** A worker's connection. The SDK's worker package loads here, only in processes that host a worker. */
export async function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect({ ...target.connectionOptions, address: target.address });
  } catch (err) {
    throw unavailable(target, err);
  }
}

function unavailable(target: TemporalTarget, err: unknown): TemporalUnavailableError {
  return new TemporalUnavailableError(
    `Cannot reach Temporal at ${target.address} (namespace ${target.namespace}): ${(err as Error).message}. ` +
      'Start the embedded server with `superscript dev`, or point TEMPORAL_ADDRESS at your cluster.',
  );
}
