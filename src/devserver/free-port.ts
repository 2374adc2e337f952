// A port nobody is listening on right now, for servers started by tests, benchmarks and fault runs, and for
// the SDK's private metrics exporter.
import net from 'node:net';

/** Any free port the OS hands out (usually 32768 and up). */
export function freePort(): Promise<number> {
  return listenOnce(0);
}

/**
 * A free port in [low, high]. For listeners whose port must fit a narrower type than the OS's ephemeral
 * range: the Temporal server stores membership ports as a SQL smallint (at most 32767).
 */
export async function freePortIn(low: number, high: number): Promise<number> {
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    const got = await listenOnce(port).catch(() => undefined);
    if (got !== undefined) return got;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}
