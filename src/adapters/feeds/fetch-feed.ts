import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, type Dispatcher, request } from 'undici';
import { redactUrl } from './source';

export interface FetchFeedOptions {
  readonly url: URL;
  readonly allowHttp: boolean;
  readonly auth?: { readonly username: string; readonly password: string };
  /** From the last successful fetch, for a conditional request. */
  readonly etag?: string;
  readonly lastModified?: string;
  /** @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Time to the response headers. @default 30_000 */
  readonly headersTimeoutMs?: number;
  /** Longest silence while the body arrives. @default 30_000 */
  readonly bodyTimeoutMs?: number;
  /** The whole fetch, redirects included. @default 60_000 */
  readonly totalTimeoutMs?: number;
  /** Largest body, compressed or not (a gzip bomb stops here too). @default 10 MiB */
  readonly maxBytes?: number;
  /** @default 5 */
  readonly maxRedirects?: number;
  /** An undici dispatcher to use (tests, proxies); one with the timeouts above is made otherwise. */
  readonly dispatcher?: Dispatcher;
  readonly signal?: AbortSignal;
  /** @default 'flexysync-feed/1' */
  readonly userAgent?: string;
}

export type FetchFeedResult =
  | {
      readonly kind: 'ok';
      readonly body: string;
      readonly status: number;
      readonly etag?: string;
      readonly lastModified?: string;
      /** Compressed size on the wire. */
      readonly bytes: number;
      readonly redirects: number;
    }
  | { readonly kind: 'not-modified'; readonly etag?: string; readonly lastModified?: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly status?: number };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

class FeedFetchError extends Error {}

function limit(maxBytes: number, what: string, count?: (n: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      count?.(seen);
      if (seen > maxBytes) callback(new FeedFetchError(`body larger than ${maxBytes} bytes${what}`));
      else callback(null, chunk);
    },
  });
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  const coding = encoding?.trim().toLowerCase();
  if (!coding || coding === 'identity') return undefined;
  if (coding === 'gzip' || coding === 'x-gzip') return createGunzip();
  if (coding === 'deflate') return createInflate();
  if (coding === 'br') return createBrotliDecompress();
  throw new FeedFetchError(`unsupported Content-Encoding '${coding.slice(0, 20)}'`);
}

async function readBody(
  stream: Readable,
  encoding: string | undefined,
  maxBytes: number,
): Promise<{ text: string; bytes: number }> {
  let wire = 0;
  const chunks: Buffer[] = [];
  const decoder = decoderFor(encoding);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const wireLimit = limit(maxBytes, '', (n) => {
    wire = n;
  });
  if (decoder) await pipeline(stream, wireLimit, decoder, limit(maxBytes, ' once decompressed'), sink);
  else await pipeline(stream, wireLimit, sink);
  return { text: new TextDecoder('utf-8').decode(Buffer.concat(chunks)), bytes: wire };
}

function describeError(error: unknown): string {
  if (error instanceof FeedFetchError) return error.message;
  const err = error as { code?: string; name?: string; message?: string };
  switch (err.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect timeout';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'timeout waiting for the response headers';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout while the body arrived';
    case 'UND_ERR_SOCKET':
      return 'connection closed before the body was complete (truncated)';
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return 'body shorter than its Content-Length (truncated)';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return 'body could not be decompressed (corrupt or truncated)';
    default:
      break;
  }
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout (whole fetch)';
  // undici messages do not carry the URL; still keep them short.
  return `${err.code ?? err.name ?? 'error'}: ${(err.message ?? String(error)).slice(0, 200)}`;
}

/**
 * GETs a feed with undici: bounded connect/headers/body/total time, a size limit (also after
 * decompression), gzip/deflate/br, bounded redirects (never from https down to http unless http is
 * allowed; the credentials are not sent to another origin), and ETag/If-Modified-Since so an
 * unchanged feed answers 304. Never throws for network or HTTP trouble: it returns `failed` with a
 * reason that never contains the URL.
 */
export async function fetchFeed(options: FetchFeedOptions): Promise<FetchFeedResult> {
  const maxBytes = options.maxBytes ?? 10_485_760;
  const maxRedirects = options.maxRedirects ?? 5;
  const ownAgent = options.dispatcher
    ? undefined
    : new Agent({
        connect: { timeout: options.connectTimeoutMs ?? 10_000 },
        headersTimeout: options.headersTimeoutMs ?? 30_000,
        bodyTimeout: options.bodyTimeoutMs ?? 30_000,
      });
  const dispatcher = options.dispatcher ?? (ownAgent as Agent);
  const total = AbortSignal.timeout(options.totalTimeoutMs ?? 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, total]) : total;
  const origin = options.url.origin;
  let url = options.url;
  try {
    for (let redirects = 0; ; redirects++) {
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowHttp)) {
        return {
          kind: 'failed',
          reason:
            redirects > 0
              ? `redirected to a ${url.protocol}// URL (${redactUrl(url)}), which is not allowed`
              : `${url.protocol}// URLs are not allowed for this feed`,
        };
      }
      const headers: Record<string, string> = {
        accept: 'text/calendar, text/plain;q=0.8, */*;q=0.1',
        'accept-encoding': 'gzip, deflate, br',
        'user-agent': options.userAgent ?? 'flexysync-feed/1',
      };
      if (options.auth && url.origin === origin) {
        const token = Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64');
        headers.authorization = `Basic ${token}`;
      }
      if (options.etag) headers['if-none-match'] = options.etag;
      if (options.lastModified) headers['if-modified-since'] = options.lastModified;
      const response = await request(url, { method: 'GET', headers, dispatcher, signal });
      const { statusCode } = response;
      if (REDIRECTS.has(statusCode)) {
        await response.body.dump().catch(() => {});
        const location = header(response.headers, 'location');
        if (!location)
          return { kind: 'failed', reason: `HTTP ${statusCode} without a Location`, status: statusCode };
        if (redirects >= maxRedirects) {
          return {
            kind: 'failed',
            reason: `more than ${maxRedirects} redirects (a redirect loop?)`,
            status: statusCode,
          };
        }
        url = new URL(location, url);
        continue;
      }
      if (statusCode === 304) {
        await response.body.dump().catch(() => {});
        if (!options.etag && !options.lastModified) {
          return { kind: 'failed', reason: 'HTTP 304 to an unconditional request', status: 304 };
        }
        const etag = header(response.headers, 'etag') ?? options.etag;
        const lastModified = header(response.headers, 'last-modified') ?? options.lastModified;
        return { kind: 'not-modified', ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
      }
      if (statusCode !== 200) {
        await response.body.dump().catch(() => {});
        const hint =
          statusCode === 401 || statusCode === 403
            ? ' (credentials refused, or the feed link was revoked)'
            : statusCode === 404 || statusCode === 410
              ? ' (the feed link no longer exists)'
              : '';
        return { kind: 'failed', reason: `HTTP ${statusCode}${hint}`, status: statusCode };
      }
      const length = Number(header(response.headers, 'content-length'));
      if (Number.isFinite(length) && length > maxBytes) {
        await response.body.dump().catch(() => {});
        return {
          kind: 'failed',
          reason: `body larger than ${maxBytes} bytes (Content-Length ${length})`,
          status: 200,
        };
      }
      const { text, bytes } = await readBody(
        response.body as unknown as Readable,
        header(response.headers, 'content-encoding'),
        maxBytes,
      );
      const etag = header(response.headers, 'etag');
      const lastModified = header(response.headers, 'last-modified');
      return {
        kind: 'ok',
        body: text,
        status: 200,
        bytes,
        redirects,
        ...(etag ? { etag } : {}),
        ...(lastModified ? { lastModified } : {}),
      };
    }
  } catch (error) {
    return { kind: 'failed', reason: describeError(error) };
  } finally {
    await ownAgent?.close().catch(() => {});
  }
}
