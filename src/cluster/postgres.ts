// PostgreSQL for the local cluster: the machine's own binaries (Debian's `postgresql` package), a data folder
// of its own, a loopback port, and the postmaster a child of this process; never the system's service.
// PostgreSQL refuses to run as root, so under root it runs as the `postgres` user on a folder that user owns.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ClusterError, MissingToolError } from '../errors.js';
import { findOnPath, isExecutable } from '../devserver/go-install.js';
import { Daemon } from '../process/daemon.js';

/** The role Temporal connects as; initdb makes it the superuser of this instance. */
const POSTGRES_USER = 'temporal';

/** A fast shutdown (SIGINT) rolls back open transactions and checkpoints; past this it is killed. */
const STOP_GRACE_MS = 30_000;

export interface PostgresOptions {
  /** A folder of its own: data/, the password file, postgres.log. */
  dir: string;
  port: number;
  log: (line: string) => void;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

export class Postgres {
  readonly host = '127.0.0.1';
  readonly user = POSTGRES_USER;
  private daemon: Daemon | undefined;

  private constructor(
    private readonly opts: PostgresOptions,
    private readonly bin: string,
    private readonly runAs: RunAs,
  ) {}

  /** Finds the binaries and the user to run as; nothing starts yet. */
  static locate(opts: PostgresOptions): Postgres {
    const bin = postgresBinDir();
    const runAs = process.getuid?.() === 0 ? postgresAccount() : {};
    return new Postgres(opts, bin, runAs);
  }

  get port(): number {
    return this.opts.port;
  }

  get dataDir(): string {
    return path.join(this.opts.dir, 'data');
  }

  get logFile(): string {
    return path.join(this.opts.dir, 'postgres.log');
  }

  get password(): string {
    return readFileSync(this.passwordFile, 'utf8').trim();
  }

  get pid(): number | undefined {
    return this.daemon?.pid;
  }

  get running(): boolean {
    return this.daemon?.running ?? false;
  }

  /** Whether initdb has run here. */
  get initialized(): boolean {
    return existsSync(path.join(this.dataDir, 'PG_VERSION'));
  }

  /** A new, empty instance: the data folder wiped, initdb with a fresh random password for `temporal`. */
  async initialize(): Promise<void> {
    mkdirSync(this.opts.dir, { recursive: true });
    this.own(this.opts.dir);
    this.checkReachable();
    rmSync(this.dataDir, { recursive: true, force: true });
    writeFileSync(this.passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    this.own(this.passwordFile);
    const code = await this.runOnce('initdb', [
      '-D',
      this.dataDir,
      '-U',
      POSTGRES_USER,
      `--pwfile=${this.passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    if (code !== 0) throw new ClusterError(`initdb failed (exit ${code}); see ${this.logFile}.`);
  }

  /** Starts the postmaster and resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    this.daemon = Daemon.spawn('postgres', {
      command: path.join(this.bin, 'postgres'),
      args: [
        '-D',
        this.dataDir,
        '-p',
        String(this.opts.port),
        '-c',
        `listen_addresses=${this.host}`,
        // TCP only: no socket in /var/run/postgresql, where the system's own instance keeps its socket.
        '-c',
        'unix_socket_directories=',
        // Every Temporal service keeps its own pools (default store 20, visibility 10) in one process.
        '-c',
        'max_connections=200',
      ],
      ...this.runAs,
      logFile: this.logFile,
      // SIGINT is PostgreSQL's fast shutdown: no waiting for clients to disconnect.
      stopSignal: 'SIGINT',
      stopGraceMs: STOP_GRACE_MS,
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && this.daemon.running) {
      if ((await this.isReady()) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const why = this.daemon.running ? 'did not accept connections within 60 s' : 'exited';
    await this.daemon.stop();
    throw new ClusterError(
      `PostgreSQL on ${this.host}:${this.opts.port} ${why}: ${lastLines(this.daemon.output())} (log: ${this.logFile}). ` +
        'Is the port in use? Choose another one.',
    );
  }

  /** Fast shutdown: open transactions are rolled back, the data is checkpointed. */
  async stop(): Promise<void> {
    await this.daemon?.stop();
  }

  /**
   * SIGKILL the postmaster; its backends notice and exit, and the next start recovers from the WAL. For a
   * process that is exiting itself, and for the fault suite's PostgreSQL crash (R6).
   */
  async kill(): Promise<void> {
    await this.daemon?.kill();
  }

  private get passwordFile(): string {
    return path.join(this.opts.dir, 'password');
  }

  /** pg_isready's exit code: 0 accepting connections, 1 rejecting (starting up), 2 no answer. */
  private isReady(): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawn(
        path.join(this.bin, 'pg_isready'),
        ['-q', '-h', this.host, '-p', String(this.opts.port), '-t', '1'],
        { stdio: 'ignore' },
      );
      child.once('error', () => resolve(null));
      child.once('exit', (code) => resolve(code));
    });
  }

  private runOnce(tool: string, args: string[]): Promise<number | null> {
    const child = Daemon.spawn(tool, {
      command: path.join(this.bin, tool),
      args,
      ...this.runAs,
      logFile: this.logFile,
      stopGraceMs: 5000,
    });
    return child.exited.then((exit) => exit.code);
  }

  private own(file: string): void {
    if (this.runAs.uid !== undefined) chownSync(file, this.runAs.uid, this.runAs.gid ?? -1);
  }

  /** The postgres user must reach the folder through every parent (a folder under /root it cannot). */
  private checkReachable(): void {
    if (this.runAs.uid === undefined) return;
    try {
      execFileSync('test', ['-w', this.opts.dir, '-a', '-x', this.opts.dir], {
        ...this.runAs,
        stdio: 'ignore',
      });
    } catch {
      throw new ClusterError(
        `PostgreSQL runs as the user "postgres" (it refuses root), which cannot write to ${this.opts.dir}: ` +
          'choose a data folder whose parent folders it can enter, e.g. under /tmp or /srv.',
      );
    }
  }
}

const TOOLS = ['initdb', 'postgres', 'pg_isready'];

/** Whether PostgreSQL's server programs are installed where postgresBinDir looks. */
export function postgresInstalled(): boolean {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
}

/** initdb, postgres and pg_isready: from PATH, else the newest /usr/lib/postgresql/<version>/bin. */
function postgresBinDir(): string {
  const onPath = findOnPath('initdb');
  // A symlink on PATH (e.g. /usr/local/bin/initdb) stands for the folder that holds all three.
  const dir = onPath && path.dirname(realpathSync(onPath));
  if (dir && TOOLS.every((tool) => isExecutable(path.join(dir, tool)))) return dir;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => TOOLS.every((tool) => isExecutable(path.join(root, v, 'bin', tool))))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(root, versions[0], 'bin');
  throw new MissingToolError(
    'PostgreSQL is not installed: `apt-get install postgresql` (Debian, Ubuntu), or put the folder holding ' +
      'initdb, postgres and pg_isready on PATH.',
  );
}

function postgresAccount(): RunAs {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new ClusterError(
      'PostgreSQL refuses to run as root and there is no "postgres" user to run it as. Run SuperScript as ' +
        'another user, or create one (the postgresql package does).',
    );
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}
