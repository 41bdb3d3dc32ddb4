// A bank's webhook receiver as a real HTTP server on 127.0.0.1: it answers what the test tells it,
// records every request as received, and processes each webhook-id at most once (its idempotency key).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

export interface Receiver {
  readonly url: string;
  /** every request, in arrival order */
  readonly requests: Received[];
  /** webhook-id -> times answered 2xx (a redelivery after a lost answer makes it 2) */
  readonly accepted: Map<string, number>;
  /** webhook-ids acted upon: the first 2xx of each id only (the receiver's deduplication) */
  readonly processed: string[];
  /** the most requests it had open at once */
  readonly maxOpen: number;
  /** how long it takes to answer, ms (default 0) */
  delayMs: number;
  /** what to answer a request (default 200) */
  respond: (r: { id: string; n: number }) => number | { status: number; headers?: Record<string, string> };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  const accepted = new Map<string, number>();
  const processed: string[] = [];
  const seen = new Map<string, number>();
  let open = 0;
  const r: Receiver = {
    url: '', requests, accepted, processed, respond: () => 200, maxOpen: 0, delayMs: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    open++;
    (r as { maxOpen: number }).maxOpen = Math.max(r.maxOpen, open);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const a = r.respond({ id, n });
      const { status, headers = {} } = typeof a === 'number' ? { status: a } : a;
      if (status >= 200 && status < 300) {
        if (!accepted.has(id)) processed.push(id);
        accepted.set(id, (accepted.get(id) ?? 0) + 1);
      }
      requests.push({ id, timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']), headers: req.headers, body, status });
      setTimeout(() => {
        open--;
        res.writeHead(status, headers).end();
      }, r.delayMs);
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (r as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return r;
}
