import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { MockAgent } from 'undici';
import { fetchFeed } from '../../../src/adapters';
import { type FeedServer, startFeedServer } from './feed-server';
import { fixture } from './helpers';

const BODY = fixture('airbnb-export.ics');
let server: FeedServer;

beforeEach(async () => {
  server = await startFeedServer();
});
afterEach(async () => {
  await server.close();
});

const fetchIt = (extra: Partial<Parameters<typeof fetchFeed>[0]> = {}, path = '/cal/TOKEN.ics') =>
  fetchFeed({ url: new URL(`${server.url}${path}`), allowHttp: true, ...extra });

describe('fetchFeed', () => {
  it('reads a 200 body and returns the validators', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/calendar',
        etag: '"v1"',
        'last-modified': 'Wed, 21 Oct 2025 07:28:00 GMT',
      });
      res.end(BODY);
    };
    const result = await fetchIt();
    expect(result).toMatchObject({
      kind: 'ok',
      body: BODY,
      etag: '"v1"',
      lastModified: 'Wed, 21 Oct 2025 07:28:00 GMT',
    });
    expect(server.requests[0]?.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  it('sends If-None-Match / If-Modified-Since and reads 304 as not modified', async () => {
    server.handler = (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        res.end();
      } else res.end(BODY);
    };
    const result = await fetchIt({ etag: '"v1"', lastModified: 'Wed, 21 Oct 2025 07:28:00 GMT' });
    expect(result).toEqual({
      kind: 'not-modified',
      etag: '"v1"',
      lastModified: 'Wed, 21 Oct 2025 07:28:00 GMT',
    });
    expect(server.requests[0]?.headers['if-modified-since']).toBe('Wed, 21 Oct 2025 07:28:00 GMT');
  });

  it('a 304 to a request without validators is a failure', async () => {
    server.handler = (_req, res) => {
      res.writeHead(304);
      res.end();
    };
    expect(await fetchIt()).toMatchObject({ kind: 'failed', reason: 'HTTP 304 to an unconditional request' });
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decompresses %s', async (encoding, compress) => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': encoding });
      res.end(compress(Buffer.from(BODY)));
    };
    const result = await fetchIt();
    expect(result).toMatchObject({ kind: 'ok', body: BODY });
    expect(result.kind === 'ok' && result.bytes).toBeLessThan(BODY.length);
  });

  it.each([
    [500, 'HTTP 500'],
    [503, 'HTTP 503'],
    [401, 'HTTP 401 (credentials refused, or the feed link was revoked)'],
    [404, 'HTTP 404 (the feed link no longer exists)'],
  ])('HTTP %i is a failed fetch', async (status, reason) => {
    server.handler = (_req, res) => {
      res.writeHead(status);
      res.end('<html>error</html>');
    };
    expect(await fetchIt()).toEqual({ kind: 'failed', reason, status });
  });

  it('times out waiting for headers', async () => {
    server.handler = () => {}; // never answers
    const result = await fetchIt({ headersTimeoutMs: 300 });
    expect(result).toEqual({ kind: 'failed', reason: 'timeout waiting for the response headers' });
  });

  it('times out when the body stalls', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/calendar' });
      res.write('BEGIN:VCALENDAR\r\n');
    };
    const result = await fetchIt({ bodyTimeoutMs: 300 });
    expect(result).toEqual({ kind: 'failed', reason: 'timeout while the body arrived' });
  });

  it('gives up after the whole-fetch deadline even while bytes trickle in', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('X-TRICKLE:1\r\n'), 50);
      res.on('close', () => clearInterval(timer));
    };
    const result = await fetchIt({ totalTimeoutMs: 400, bodyTimeoutMs: 5_000 });
    expect(result).toEqual({ kind: 'failed', reason: 'timeout (whole fetch)' });
  });

  it('a body cut short of its Content-Length is a failed fetch', async () => {
    server.handler = (req, res) => {
      res.writeHead(200, { 'content-length': String(BODY.length) });
      res.write(BODY.slice(0, 1000));
      setTimeout(() => req.socket.destroy(), 20);
    };
    const result = await fetchIt();
    expect(result.kind).toBe('failed');
    expect(result.kind === 'failed' && result.reason).toMatch(/truncated/);
  });

  it('an empty 200 body is returned as such (the parser then refuses it)', async () => {
    server.handler = (_req, res) => res.end();
    expect(await fetchIt()).toMatchObject({ kind: 'ok', body: '' });
  });

  it('refuses a body over the limit by Content-Length, while streaming, and once decompressed', async () => {
    server.handler = (_req, res) => res.end('x'.repeat(5_000));
    expect(await fetchIt({ maxBytes: 4_096 })).toMatchObject({
      kind: 'failed',
      reason: 'body larger than 4096 bytes (Content-Length 5000)',
    });
    server.handler = (_req, res) => {
      res.writeHead(200); // chunked, no length
      for (let i = 0; i < 10; i++) res.write('x'.repeat(1_000));
      res.end();
    };
    expect(await fetchIt({ maxBytes: 4_096 })).toEqual({
      kind: 'failed',
      reason: 'body larger than 4096 bytes',
    });
    const bomb = gzipSync(Buffer.alloc(1_000_000, 65));
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(bomb);
    };
    expect(bomb.length).toBeLessThan(4_096);
    expect(await fetchIt({ maxBytes: 4_096 })).toEqual({
      kind: 'failed',
      reason: 'body larger than 4096 bytes once decompressed',
    });
  });

  it('follows redirects, bounded, and reports a loop', async () => {
    server.handler = (req, res) => {
      if (req.url === '/final') res.end(BODY);
      else if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' });
        res.end();
      } else {
        res.writeHead(301, { location: '/final' });
        res.end();
      }
    };
    expect(await fetchIt({}, '/moved')).toMatchObject({ kind: 'ok', redirects: 1 });
    const requestsBefore = server.requests.length;
    expect(await fetchIt({ maxRedirects: 3 }, '/loop')).toEqual({
      kind: 'failed',
      reason: 'more than 3 redirects (a redirect loop?)',
      status: 302,
    });
    expect(server.requests.length - requestsBefore).toBe(4);
  });

  it('sends Basic auth to the feed’s origin only, never to where it redirects elsewhere', async () => {
    const other = await startFeedServer((_req, res) => res.end(BODY));
    try {
      server.handler = (req, res) => {
        if (req.url === '/here') res.end(BODY);
        else {
          res.writeHead(302, { location: `${other.url}/there` });
          res.end();
        }
      };
      const auth = { username: 'me', password: 'pw' };
      await fetchIt({ auth }, '/here');
      expect(server.requests[0]?.headers.authorization).toBe(
        `Basic ${Buffer.from('me:pw').toString('base64')}`,
      );
      expect(await fetchIt({ auth }, '/away')).toMatchObject({ kind: 'ok' });
      expect(other.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('refuses http unless allowed, also as a redirect target from https', async () => {
    expect(await fetchFeed({ url: new URL(`${server.url}/x`), allowHttp: false })).toEqual({
      kind: 'failed',
      reason: 'http:// URLs are not allowed for this feed',
    });
    expect(server.requests).toHaveLength(0);
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://feeds.example')
      .intercept({ path: '/cal/TOKEN.ics' })
      .reply(302, '', { headers: { location: 'http://feeds.example/cal/TOKEN.ics' } });
    const result = await fetchFeed({
      url: new URL('https://feeds.example/cal/TOKEN.ics'),
      allowHttp: false,
      dispatcher: agent,
    });
    expect(result).toEqual({
      kind: 'failed',
      reason: 'redirected to a http:// URL (http://feeds.example/…/…), which is not allowed',
    });
    await agent.close();
  });

  it('never puts the URL (or its token) in a failure reason', async () => {
    const reasons: string[] = [];
    for (const handler of [
      (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(500);
        res.end();
      },
      (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(302, { location: '/cal/TOKEN.ics' });
        res.end();
      },
    ]) {
      server.handler = handler;
      const result = await fetchIt({ maxRedirects: 1 });
      if (result.kind === 'failed') reasons.push(result.reason);
    }
    await server.close();
    const refused = await fetchIt();
    if (refused.kind === 'failed') reasons.push(refused.reason);
    server = await startFeedServer();
    expect(reasons).toHaveLength(3);
    for (const reason of reasons) expect(reason).not.toMatch(/TOKEN|127\.0\.0\.1/);
  });
});
