import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server saw of one request. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/UnitIdEntries?unitId=1`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request; `index` counts requests from 0. Returning without ending the response hangs it. */
export type Handler = (request: RecordedRequest, response: ServerResponse, index: number) => void;

export interface TestServer {
  /** Base URL with the API prefix, as the client is configured: `http://127.0.0.1:<port>/v1/`. */
  baseUrl: string;
  requests: RecordedRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

/** A real HTTP server on port 0 (not a mock of our code); the test decides every answer. */
export async function startTestServer(
  handler: Handler = (_, res) => json(res, 200, {}),
): Promise<TestServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      current(recorded, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1/`,
    requests,
    setHandler: (next) => {
      current = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** A port nothing listens on (bound, then released), for connection-refused tests. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An entry row as our assumed API returns it. */
export function entryRow(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    unitId: 3023,
    idNumber: `FS-${id}`,
    name: `Guest ${id}`,
    description: null,
    action: 'R1',
    codeTag: null,
    codeTagCalendar: null,
    validFromIso: '2026-04-22T12:00:00Z',
    validToIso: '2026-04-25T10:00:00Z',
    syncState: 'Synced',
    ...overrides,
  };
}
