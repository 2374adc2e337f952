// The Temporal server's configuration for the local cluster, written into its data folder at every start:
// PostgreSQL as persistence and visibility, every service bound to loopback, one process running all four
// services (frontend, history, matching, worker). Modelled on the server's own config/development-postgres12.yaml
// and docker/config_template.yaml.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The names the schema tool creates and the server connects to. */
export const DATABASES = { persistence: 'temporal', visibility: 'temporal_visibility' } as const;

/** Fixed when the cluster first starts: the server refuses to change it later. Four suits one machine. */
const HISTORY_SHARDS = 4;

export interface ServerPorts {
  frontend: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export interface ServerConfigInput {
  /** The server's own folder: config/<env>.yaml, dynamicconfig.yaml, server.log. */
  dir: string;
  ports: ServerPorts;
  postgres: { host: string; port: number; user: string; password: string };
}

/** The `--env` the server loads: config/<env>.yaml. */
export const CONFIG_ENV = 'superscript';

/**
 * SuperScript's dynamic config for the server. The dev server's defaults dispatch tasks slowly once a few
 * workflows have run (see src/devserver/dev-server.ts); the same two values apply to a full server. Nexus is
 * off as on the dev server: SuperScript uses none, and without an HTTP port (below) the server would turn it
 * off itself, with a warning at every start.
 */
const DYNAMIC_CONFIG = `# Written by SuperScript (src/cluster/server-config.ts); the server re-reads it every 10 s.
history.transferProcessorMaxPollRPS:
  - value: 10000
system.enableActivityEagerExecution:
  - value: true
system.enableNexus:
  - value: false
`;

/** Writes config/superscript.yaml and dynamicconfig.yaml under `dir`; returns the config folder. */
export function writeServerConfig(c: ServerConfigInput): string {
  const configDir = path.join(c.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = path.join(c.dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG);
  // It holds the database password: readable by this user only.
  writeFileSync(path.join(configDir, `${CONFIG_ENV}.yaml`), serverYaml(c, dynamicConfigFile), {
    mode: 0o600,
  });
  return configDir;
}

const q = (s: string | number) => JSON.stringify(String(s));

function datastore(c: ServerConfigInput, database: string, maxConns: number): string {
  return `      sql:
        pluginName: "postgres12"
        databaseName: ${q(database)}
        connectAddr: ${q(`${c.postgres.host}:${c.postgres.port}`)}
        connectProtocol: "tcp"
        user: ${q(c.postgres.user)}
        password: ${q(c.postgres.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
}

// No httpPort: the frontend then opens no HTTP port at all (its HTTP API and Nexus's routes), which any web
// page could post to, and SuperScript uses neither (the server's common/config/config.go: "If unset/0, HTTP
// will be disabled").
function service(grpc: number, membership: number): string {
  return `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnIP: "127.0.0.1"`;
}

function serverYaml(c: ServerConfigInput, dynamicConfigFile: string): string {
  const p = c.ports;
  return `# Written by SuperScript (src/cluster/server-config.ts) at every cluster start; edits are overwritten.
log:
  stdout: true
  level: "warn"

persistence:
  numHistoryShards: ${HISTORY_SHARDS}
  defaultStore: "postgres"
  visibilityStore: "postgres-visibility"
  datastores:
    postgres:
${datastore(c, DATABASES.persistence, 20)}
    postgres-visibility:
${datastore(c, DATABASES.visibility, 10)}

global:
  membership:
    maxJoinDuration: "30s"
    broadcastAddress: "127.0.0.1"
  pprof:
    port: 0

services:
  frontend:
${service(p.frontend, p.frontendMembership)}
  history:
${service(p.history, p.historyMembership)}
  matching:
${service(p.matching, p.matchingMembership)}
  worker:
${service(p.worker, p.workerMembership)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${q(`127.0.0.1:${p.frontend}`)}

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: ${q(dynamicConfigFile)}
  pollInterval: "10s"
`;
}
