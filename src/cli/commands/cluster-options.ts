// The options of `superscript cluster up` and their defaults, which the command line shows in its help.
import { DEFAULT_CLUSTER_PORTS } from '../../cluster/ports.js';

export interface ClusterUpOptions {
  dataDir: string;
  workers: number;
  apis: number;
  /** The first API's port; the others follow it. */
  apiPort: number;
  temporalPort: number;
  postgresPort: number;
  /** Every server and PostgreSQL listener on a free port instead (the banner names the ones clients use). */
  freePorts?: boolean;
  namespace: string;
  retentionDays: number;
}

export const CLUSTER_DEFAULTS = {
  dataDir: '.superscript-cluster',
  workers: 2,
  apis: 2,
  apiPort: 8080,
  temporalPort: DEFAULT_CLUSTER_PORTS.frontend,
  postgresPort: DEFAULT_CLUSTER_PORTS.postgres,
  namespace: 'superscript',
  retentionDays: 30,
} satisfies ClusterUpOptions;
