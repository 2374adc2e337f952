// The ports of `superscript cluster up`: its defaults, or free ones. Apart from the cluster's code, so the
// command line can show the defaults without loading it.
import { freePortIn } from '../devserver/free-port.js';
import type { ServerPorts } from './server-config.js';

export interface ClusterPorts extends ServerPorts {
  postgres: number;
}

/** `superscript cluster up`'s ports: the usual Temporal ones, and PostgreSQL beside the system's 5432. */
export const DEFAULT_CLUSTER_PORTS: ClusterPorts = {
  postgres: 5433,
  frontend: 7233,
  frontendMembership: 6933,
  history: 7234,
  historyMembership: 6934,
  matching: 7235,
  matchingMembership: 6935,
  worker: 7239,
  workerMembership: 6939,
};

/**
 * Distinct free ports for every listener, for tests and fault runs beside anything else running. Below the
 * OS's ephemeral range, which starts at 32768: the server keeps membership ports in a SQL smallint.
 */
export async function freeClusterPorts(): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const port = await freePortIn(20_000, 32_767);
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const ports = {} as ClusterPorts;
  for (const key of Object.keys(DEFAULT_CLUSTER_PORTS) as (keyof ClusterPorts)[]) ports[key] = await next();
  return ports;
}
