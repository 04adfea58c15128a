import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedServer {
  /** The feed's URL, secret token included (like Airbnb's): never print or log it whole. */
  url: string;
  port: number;
  /** Requests answered so far (200 and 304). */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A local stand-in for a booking channel's calendar export: serves one iCalendar body at an
 * Airbnb-like path with a secret `s` token, with an ETag (so the worker's polls get 304 while it
 * does not change). Anything else is 404.
 */
export async function startFeedServer(body: string): Promise<FeedServer> {
  const token = randomBytes(12).toString('hex');
  const listing = 48151623;
  const feedPath = `/calendar/ical/${listing}.ics`;
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  let served = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== feedPath || url.searchParams.get('s') !== token) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    served++;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/calendar; charset=utf-8', etag }).end(body);
  });
  // A keep-alive socket held by the worker's HTTP client must not hold close() up.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}${feedPath}?s=${token}`,
    port,
    requests: () => served,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
