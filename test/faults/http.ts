// The fault suite's raw HTTP client on node:http, for what the typed client (src/shared/api-client.ts) must
// not do: fetch rewrites hostile requests (it sets its own Content-Type for string bodies and refuses some
// methods and header values), and fault cases must reach the server byte for byte; outage probes time each
// answer and give up on it in their own time. Ordinary calls go through the typed client.
import http from 'node:http';

export interface HttpRequest {
  method: string;
  /** Path and query, e.g. `/v1/payments?wait=5s`. */
  path: string;
  headers?: Record<string, string>;
  /** Sent exactly as given; an object is JSON-encoded with Content-Type application/json. */
  body?: string | Buffer | object;
  agent?: http.Agent;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
  ms: number;
}

export function httpRequest(baseUrl: string, req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.path, baseUrl);
  const headers: Record<string, string> = { ...req.headers };
  let body: Buffer | undefined;
  if (Buffer.isBuffer(req.body)) body = req.body;
  else if (typeof req.body === 'string') body = Buffer.from(req.body);
  else if (req.body !== undefined) {
    body = Buffer.from(JSON.stringify(req.body));
    headers['content-type'] ??= 'application/json';
  }
  if (body) headers['content-length'] = String(body.length);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: req.method,
        headers,
        agent: req.agent,
        timeout: req.timeoutMs ?? 120_000,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            ms: Date.now() - started,
          });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${req.method} ${req.path}: no answer in time`)));
    // A server that refuses a huge body may close the socket while we still write it; the answer it
    // sent first is what counts.
    request.on('error', (err) => {
      if (!answered) reject(err);
    });
    request.end(body);
  });
}
