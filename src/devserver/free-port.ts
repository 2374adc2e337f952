// A port nobody is listening on right now, for servers started by tests, benchmarks and fault runs, and for
// the SDK's private metrics exporter.
import net from 'node:net';

/** Any free port the OS hands out (usually 32768 and up), held back from the next ones it hands out. */
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

// Linux hands a just-closed ephemeral port out again at once, and the Temporal CLI picks its own free ports
// (start-dev's HTTP port) the same way before our port is bound: both once got the same port (CI, 2026-12-07).
// So, like the CLI's GetFreePort, connect once and close from the server's side: the port then sits in
// TIME_WAIT (60 s on Linux), which bind(:0) skips while an explicit bind with SO_REUSEADDR (Node, Go) still
// takes it.
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      const client = net.connect(bound, '127.0.0.1');
      const done = (): void => void server.close(() => resolve(bound));
      client.once('error', done);
      client.once('close', done);
    });
  });
}
