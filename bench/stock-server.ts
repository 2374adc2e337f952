// Baseline (b): `temporal server start-dev` exactly as a user starts it by hand, with no dynamic config,
// no pragmas and no search attributes. A child of this process, like SuperScript's own server.
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';

export class StockServer {
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly address: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(cliPath: string, port: number, dbFile?: string): Promise<StockServer> {
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'];
    if (dbFile) args.push('--db-filename', dbFile);
    const child = spawn(cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const server = new StockServer(child, `127.0.0.1:${port}`);
    try {
      await server.waitUntilServing(60_000);
    } catch (err) {
      await server.stop();
      throw new Error(`${(err as Error).message} ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return server;
  }

  /** SIGKILL now; for the process-exit safety net, where nothing can be awaited. */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return;
        } finally {
          await connection.close();
        }
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`stock dev server on ${this.address} did not start${exited ? ' (it exited)' : ''}`);
  }
}
