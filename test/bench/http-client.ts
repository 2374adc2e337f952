// The bench's HTTP client: node:http over kept-alive connections, as a careful client would call the API.
// (fetch costs about twice the client-side CPU per request here, which showed up in every HTTP figure.)
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true });

export interface JsonResponse<T> {
  status: number;
  body: T;
}

/** Sends `body` (JSON) with `method` to `url` and parses the JSON answer. */
export function requestJson<T>(method: string, url: string, body?: unknown): Promise<JsonResponse<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch {
            reject(new Error(`${method} ${url}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.once('error', reject);
    req.end(payload);
  });
}
