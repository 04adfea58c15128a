import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../src/simulator';

/** Users of the shipped seed (config/simulator-seed.json). Fake credentials. */
export const INTEGRATOR = { username: 'integrator', password: 'simulator-secret', companyId: 100 } as const;
export const OTHER_INTEGRATOR = {
  username: 'other-integrator',
  password: 'other-secret',
  companyId: 200,
} as const;

/** Units of the shipped seed. */
export const SEED_UNITS = {
  /** company 100, online, F1/F2, hand-made entry `+46701234567` with PIN 4711 */
  main: 3023,
  /** company 100, online, WEXP expansion X1–X8 / IX1–IX4 */
  wexp: 3024,
  /** company 100, offline */
  offline: 3025,
  /** company 200 */
  otherCompany: 4001,
} as const;

export const SEED_SERIALS = { main: '040530585131396', otherCompany: '040530585199001' } as const;

/** Booking objects of the shipped seed. */
export const SEED_BOOKING_OBJECTS = { laundry: 501, guestFlat: 502, otherCompany: 601 } as const;

export interface Credentials {
  username: string;
  password: string;
}

export function basicAuth(user: Credentials): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}

// biome-ignore lint/suspicious/noExplicitAny: contract tests read loosely typed JSON on purpose
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty / non-JSON body. */
  body: T;
  text: string;
}

export interface ApiCallOptions {
  /** JSON-encoded unless `rawBody` is given. */
  body?: unknown;
  /** Sent as is (for malformed-JSON tests). */
  rawBody?: string | Buffer;
  /** @default INTEGRATOR; null = no Authorization header */
  user?: Credentials | null;
  headers?: Record<string, string>;
}

async function call<T>(
  url: string,
  method: string,
  options: ApiCallOptions,
  auth: boolean,
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  const user = options.user === undefined ? INTEGRATOR : options.user;
  if (auth && user) headers.authorization = basicAuth(user);
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, options.headers);
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** A running simulator plus small typed helpers for raw HTTP against it. */
export interface TestSimulator extends RunningSimulator {
  /** `path` is relative to `/v1/`, e.g. `'UnitIdEntries?unitId=3023'`. */
  // biome-ignore lint/suspicious/noExplicitAny: contract tests read loosely typed JSON on purpose
  api<T = any>(method: string, path: string, options?: ApiCallOptions): Promise<ApiResponse<T>>;
  /** `path` is relative to `/__admin/`, e.g. `'units/3023'`. */
  // biome-ignore lint/suspicious/noExplicitAny: contract tests read loosely typed JSON on purpose
  admin<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

const perTest = new Set<RunningSimulator>();
const perFile = new Set<RunningSimulator>();

async function closeAll(set: Set<RunningSimulator>): Promise<void> {
  const list = [...set];
  set.clear();
  await Promise.all(list.map((s) => s.close()));
}

// Registered when a test file imports this helper: simulators started inside a test (or a beforeEach)
// close after it; those started in beforeAll / describe close after the file. Whether a test is running
// is tracked by these hooks, not by jest's `currentTestName`: that still names the previous test while a
// later describe's beforeAll runs, which would close that block's simulator after its first test.
let testRunning = false;
if (typeof beforeEach === 'function') {
  beforeEach(() => {
    testRunning = true;
  });
}
if (typeof afterEach === 'function') {
  afterEach(async () => {
    testRunning = false;
    await closeAll(perTest);
  });
}
if (typeof afterAll === 'function') afterAll(() => closeAll(perFile));

/**
 * Starts a simulator on a free port (silent, fast defaults unless overridden) and registers its
 * teardown, so tests never leak servers or timers.
 */
export async function startTestSimulator(options: SimulatorOptions = {}): Promise<TestSimulator> {
  const running = await startSimulator({ logger: false, ...options });
  (testRunning ? perTest : perFile).add(running);
  return {
    ...running,
    api: (method, path, callOptions = {}) => call(`${running.baseUrl}${path}`, method, callOptions, true),
    admin: (method, path, body) =>
      call(
        `${running.adminUrl}${path}`,
        method,
        body === undefined ? { user: null } : { body, user: null },
        false,
      ),
  };
}
