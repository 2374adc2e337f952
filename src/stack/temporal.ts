// Where a stack's Temporal is: the embedded dev server it starts (the default installation, and the tests',
// the bench's and the fault suite's servers), a real cluster on this machine it starts (src/cluster), or a
// server someone else runs, named by Temporal's own settings or by its address.
import { connectClient, temporalTarget, type TemporalTarget } from '../config/temporal-connection.js';
import type { Durability } from '../config/settings.js';
import { LocalCluster, type ClusterOptions } from '../cluster/cluster.js';
import { DevServer } from '../devserver/dev-server.js';
import { freePort } from '../devserver/free-port.js';
import { setRetentionDays } from '../runs/retention.js';
import type { StopStep } from './steps.js';

export interface Temporal {
  readonly target: TemporalTarget;
  /** The key store every process of the installation shares, when the server comes with one (a cluster's). */
  readonly keyStoreUrl?: string;
  /** The embedded dev server, run by this process: its data folder's key store file is the default. */
  readonly embedded: boolean;
  /**
   * How what this process started stops, last in a stack's stop order, and how it is killed at once (a
   * process exiting without the time to stop it). None for a server someone else runs.
   */
  readonly started?: StopStep & { killNow(): void };
}

/** A server someone else runs: Temporal's own settings (TEMPORAL_ADDRESS, ...), or the address given. */
export interface ExternalServer {
  address?: string;
  namespace?: string;
  keyStoreUrl?: string;
}

export function externalTemporal(server: ExternalServer = {}): Temporal {
  return {
    target: server.address ? temporalTarget(server.address, server.namespace) : temporalTarget(),
    keyStoreUrl: server.keyStoreUrl,
    embedded: false,
  };
}

export interface EmbeddedServerOptions {
  /** The Temporal CLI to run it with (ensureTemporalCli). */
  cliPath: string;
  /** Its gRPC port, kept across restarts. Default: a free one. */
  port?: number;
  /** Its Web UI's port; none for a headless server. */
  uiPort?: number;
  /** Its SQLite file; required unless durability is `memory`. */
  dbFile?: string;
  durability: Durability;
  /** More `start-dev` arguments, e.g. --dynamic-config-value or --http-port. */
  extraArgs?: string[];
  /** How long the namespace keeps closed runs' histories. Default: the dev server's own, one day. */
  retentionDays?: number;
}

/** The embedded dev server (src/devserver), a child of this process; the fault suite crashes and restarts it. */
export class EmbeddedTemporal implements Temporal {
  readonly embedded = true;
  readonly target: TemporalTarget;
  readonly started: StopStep & { killNow(): void };

  private constructor(
    private server: DevServer,
    private readonly opts: EmbeddedServerOptions & { port: number },
  ) {
    this.target = temporalTarget(server.address);
    this.started = {
      name: 'temporal dev server',
      stop: () => this.server.stop(),
      killNow: () => void this.server.kill(),
    };
  }

  static async start(options: EmbeddedServerOptions): Promise<EmbeddedTemporal> {
    const opts = { ...options, port: options.port ?? (await freePort()) };
    const temporal = new EmbeddedTemporal(await DevServer.start(opts), opts);
    if (opts.retentionDays !== undefined) {
      try {
        const admin = await connectClient(temporal.target);
        await setRetentionDays(admin, opts.retentionDays).finally(() => admin.connection.close());
      } catch (err) {
        await temporal.stop();
        throw err;
      }
    }
    return temporal;
  }

  get address(): string {
    return this.target.address;
  }

  /** Its Web UI, unless headless. */
  get uiUrl(): string | undefined {
    return this.server.uiUrl;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  /** SIGKILL, as a crash or an OOM kill would. */
  crash(): Promise<void> {
    return this.server.kill();
  }

  /** Starts it again on the same port and file; resolves once it answers. */
  async restart(): Promise<void> {
    this.server = await DevServer.start(this.opts);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/** A real cluster on this machine (src/cluster): PostgreSQL and the full Temporal server, children of this process. */
export class ClusterTemporal implements Temporal {
  readonly embedded = false;
  readonly target: TemporalTarget;
  readonly keyStoreUrl: string;
  readonly started: StopStep & { killNow(): void };

  private constructor(readonly cluster: LocalCluster) {
    this.target = temporalTarget(cluster.address, cluster.namespace);
    this.keyStoreUrl = cluster.keyStoreUrl;
    this.started = {
      name: 'temporal server and postgres',
      stop: () => cluster.stop(),
      killNow: () => cluster.killNow(),
    };
  }

  static async start(opts: ClusterOptions): Promise<ClusterTemporal> {
    return new ClusterTemporal(await LocalCluster.start(opts));
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }
}
