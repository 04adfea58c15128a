import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CreateUnitIdEntryInput,
  createFlexyKeyClient,
  type FlexyKeyClient,
  type FlexyKeyClientOptions,
  FlexyKeyError,
  type SyncStatus,
  type UnitIdEntry,
} from '../../src/flexykey';
import type { DeviceEntryView, SimulatorOptions, UnitDetail } from '../../src/simulator';
import {
  INTEGRATOR,
  OTHER_INTEGRATOR,
  SEED_UNITS,
  startTestSimulator,
  type TestSimulator,
} from './simulator';
import { waitFor } from './wait-for';

/*
 * Shared setup of the client ↔ simulator contract tests: the real client (`createFlexyKeyClient`)
 * against the real simulator over HTTP on a free port. Observations go through the simulator's
 * in-process admin view (call counts, device memory), never through the client, so a misreading
 * shared by both sides cannot hide behind itself.
 */

/** Normalised call keys the simulator counts (`simulator.callCount(key)`), one per route. */
export const CALL = {
  listUnits: 'GET /v1/Units',
  getUnit: 'GET /v1/Units/{id}',
  listEntries: 'GET /v1/UnitIdEntries',
  createEntry: 'POST /v1/UnitIdEntries',
  updateEntry: 'PUT /v1/UnitIdEntries/{id}',
  deleteEntry: 'DELETE /v1/UnitIdEntries/{id}',
  push: 'POST /v1/UnitSync/PushChanges',
  status: 'GET /v1/UnitSync/Status',
  abort: 'POST /v1/UnitSync/Abort',
  settingDefinitions: 'GET /v1/UnitSettings/Definitions',
  listSettings: 'GET /v1/UnitSettings',
  putSetting: 'PUT /v1/UnitSettings',
  toolsEntries: 'POST /v1/Tools/IdEntriesSyncState',
  toolsSettings: 'POST /v1/Tools/UnitSettingsSyncState',
  toolsAll: 'POST /v1/Tools/AllUnitDataSyncState',
  sendControl: 'POST /v1/Control',
  getControl: 'GET /v1/Control',
  unitInfoTypes: 'GET /v1/RequestUnitInfoTypes',
  requestUnitInfo: 'POST /v1/RequestUnitInfo',
  unitMessages: 'GET /v1/UnitMessages',
  webhookEvents: 'GET /v1/Webhooks/Events',
  putWebhook: 'PUT /v1/Webhooks',
  listWebhooks: 'GET /v1/Webhooks',
  deleteWebhook: 'DELETE /v1/Webhooks',
  testWebhook: 'POST /v1/Webhooks/Test',
  listLogs: 'GET /v1/Logs',
  createBooking: 'POST /v1/Bookings',
  listBookings: 'GET /v1/Bookings',
  deleteBooking: 'DELETE /v1/Bookings/{bookingId}',
} as const;

export interface ContractOptions {
  /** Merged over the contract defaults (status guard 50 ms, sync timeout 2 s, pulses 1000× faster). */
  simulator?: SimulatorOptions;
  /** Packet / CHECK-answer latency set on every seed unit. @default 10 */
  unitLatencyMs?: number;
  /** Merged over the contract client defaults (fast, deterministic retries). */
  client?: Partial<FlexyKeyClientOptions>;
}

export interface Contract {
  sim: TestSimulator;
  /** The integrator of company 100 (units 3023, 3024, 3025; booking objects 501, 502). */
  client: FlexyKeyClient;
  /** The integrator of company 200 (unit 4001, booking object 601). */
  other: FlexyKeyClient;
  /** Another client against the same simulator (closed after the test like the others). */
  newClient(overrides?: Partial<FlexyKeyClientOptions>): FlexyKeyClient;
  /** How many requests of one route reached the simulator (faulted and rejected ones included). */
  calls(key: string): number;
  /** Total API requests that reached the simulator. */
  totalCalls(): number;
  /** The admin view of a unit: server rows, device memory, sync state. */
  unit(unitId: number): UnitDetail;
  /** What the physical unit holds, ordered by id. */
  device(unitId: number): DeviceEntryView[];
}

const openClients = new Set<FlexyKeyClient>();

async function closeClients(): Promise<void> {
  const list = [...openClients];
  openClients.clear();
  await Promise.all(list.map((c) => c.close()));
}

if (typeof afterEach === 'function') afterEach(closeClients);
if (typeof afterAll === 'function') afterAll(closeClients);

/** Fast, deterministic client retries: backoff of a few ms, no jitter surprises, real sleeps. */
export const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 4, maxDelayMs: 5_000, random: () => 0.5 } as const;

/** Starts a simulator and clients for both seed companies; all are torn down after the test. */
export async function startContract(options: ContractOptions = {}): Promise<Contract> {
  const sim = await startTestSimulator({
    statusCacheGuardMs: 50,
    syncTimeoutMs: 2_000,
    pulseTimeScale: 0.001,
    ...options.simulator,
  });
  const latency = options.unitLatencyMs ?? 10;
  for (const unitId of Object.values(SEED_UNITS)) {
    sim.simulator.updateUnit(unitId, { packetLatencyMs: latency });
  }
  const newClient = (overrides: Partial<FlexyKeyClientOptions> = {}): FlexyKeyClient => {
    const client = createFlexyKeyClient({
      baseUrl: sim.baseUrl,
      username: INTEGRATOR.username,
      password: INTEGRATOR.password,
      timeouts: { connectMs: 2_000, headersMs: 5_000, bodyMs: 5_000 },
      retry: { ...FAST_RETRY },
      ...options.client,
      ...overrides,
    });
    openClients.add(client);
    return client;
  };
  return {
    sim,
    client: newClient(),
    other: newClient({ username: OTHER_INTEGRATOR.username, password: OTHER_INTEGRATOR.password }),
    newClient,
    calls: (key) => sim.simulator.callCount(key),
    totalCalls: () => sim.simulator.calls().total,
    unit: (unitId) => sim.simulator.unit(unitId),
    device: (unitId) => sim.simulator.unit(unitId).deviceMemory.entries,
  };
}

/** Resolves to the FlexyKeyError a call rejected with; fails the test if it resolved. */
export async function failureOf(promise: Promise<unknown>): Promise<FlexyKeyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FlexyKeyError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A valid entry body; `n` makes idNumber and PIN unique. */
export function entryInput(unitId: number, n: number, extra: Partial<CreateUnitIdEntryInput> = {}) {
  return {
    unitId,
    idNumber: `FS-${String(n).padStart(5, '0')}`,
    name: `Guest ${n}`,
    description: `Booking ${n}`,
    action: 'R1',
    codeTag: String(100_000 + n),
    validFromIso: '2026-04-22T14:00:00+02:00',
    validToIso: '2026-04-25T11:00:00+02:00',
    ...extra,
  } satisfies CreateUnitIdEntryInput;
}

/** Creates `count` entries one after the other through the client. */
export async function createEntries(
  client: FlexyKeyClient,
  unitId: number,
  count: number,
  first = 1,
): Promise<UnitIdEntry[]> {
  const created: UnitIdEntry[] = [];
  for (let n = first; n < first + count; n++) {
    created.push(await client.unitIdEntries.create(entryInput(unitId, n)));
  }
  return created;
}

/** Every status read while waiting, in order. */
export interface SyncRun {
  pushedAtMs: number;
  final: SyncStatus;
  seen: SyncStatus[];
}

/** True when a status belongs to a sync started at or after `sinceMs` (the cache guard can show an older one). */
export function isFrom(status: SyncStatus, sinceMs: number): boolean {
  return typeof status.startedIso === 'string' && Date.parse(status.startedIso) >= sinceMs;
}

/**
 * Polls `unitSync.status` through the client until a status of a sync started at or after
 * `sinceMs` reaches `state`; returns every status seen on the way.
 */
export async function pollStatus(
  client: FlexyKeyClient,
  unitId: number,
  state: string,
  sinceMs: number,
  timeoutMs = 5_000,
): Promise<{ final: SyncStatus; seen: SyncStatus[] }> {
  const seen: SyncStatus[] = [];
  const final = await waitFor(
    async () => {
      const status = await client.unitSync.status({ unitId });
      seen.push(status);
      return isFrom(status, sinceMs) && status.state === state ? status : null;
    },
    { timeoutMs, intervalMs: 5, description: `sync of unit ${unitId} to reach ${state}` },
  );
  return { final, seen };
}

/** PushChanges (must answer Queued), then poll until that sync is Completed. */
export async function pushAndComplete(client: FlexyKeyClient, unitId: number): Promise<SyncRun> {
  const pushedAtMs = Date.now();
  const pushed = await client.unitSync.pushChanges({ unitId });
  if (pushed.status !== 'Queued') {
    throw new Error(`expected PushChanges to queue, got ${pushed.status}: ${pushed.message ?? ''}`);
  }
  const { final, seen } = await pollStatus(client, unitId, 'Completed', pushedAtMs);
  return { pushedAtMs, final, seen };
}

/** The fields the unit holds, from a server row, in the device view's shape. */
export function heldFields(row: UnitIdEntry): DeviceEntryView {
  return {
    id: row.id,
    idNumber: row.idNumber,
    action: row.action,
    codeTag: row.codeTag ?? null,
    codeTagCalendar: row.codeTagCalendar ?? null,
    validFromIso: row.validFromIso ?? null,
    validToIso: row.validToIso ?? null,
  };
}

/** One request the webhook receiver got, with the exact body bytes. */
export interface ReceivedWebhook {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/** A local `node:http` endpoint on a free port that records every request and answers 204. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks/flexykey`,
    received,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
  openReceivers.add(receiver);
  return receiver;
}

const openReceivers = new Set<WebhookReceiver>();

if (typeof afterEach === 'function') {
  afterEach(async () => {
    const list = [...openReceivers];
    openReceivers.clear();
    await Promise.all(list.map((r) => r.close()));
  });
}
