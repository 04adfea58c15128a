import {
  FlexyKeyConflictError,
  FlexyKeyConnectionError,
  FlexyKeyRateLimitError,
  FlexyKeyServerError,
  FlexyKeyTimeoutError,
} from '../../src/flexykey';
import { CALL, type Contract, entryInput, FAST_RETRY, failureOf, startContract } from '../helpers/contract';
import { SEED_UNITS } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// The client's retry rules (docs/flexykey-api.md, "Retries"; docs/decisions/0001-no-blind-post-replay.md)
// against faults the simulator really injects over HTTP. Every attempt is counted on the simulator
// side (`callCount`), so "retried" and "not replayed" are observed, not inferred from the client.
// Faults are count-limited (or driven by an injected random source), so every run is the same.

const UNIT = SEED_UNITS.main;

let c: Contract;
/** Waits the client asked for between attempts (the real sleep still happens). */
let sleeps: number[];

async function start(random?: () => number) {
  sleeps = [];
  c = await startContract({
    simulator: random ? { random } : {},
    client: {
      retry: {
        ...FAST_RETRY,
        sleep: async (ms) => {
          sleeps.push(ms);
          await new Promise((resolve) => setTimeout(resolve, ms));
        },
      },
    },
  });
}

const rowsWith = (idNumber: string) => c.unit(UNIT).rows.filter((r) => r.idNumber === idNumber);

describe('server errors', () => {
  beforeEach(() => start());

  it('a 5xx on a GET is retried and succeeds', async () => {
    c.sim.simulator.setFaults([{ match: 'GET /v1/Units', errorRate: 1, errorStatus: 500, count: 2 }]);
    const units = await c.client.units.list();
    expect(units).toHaveLength(3);
    expect(c.calls(CALL.listUnits)).toBe(3);
    expect(c.sim.simulator.faults()[0]).toMatchObject({ fired: 2, remaining: 0 });
    expect(sleeps).toHaveLength(2);
  });

  it('a Retry-After on a 503 replaces the backoff', async () => {
    c.sim.simulator.setFaults([
      { match: 'GET /v1/Units', errorRate: 1, errorStatus: 503, retryAfterSeconds: 0, count: 1 },
      { match: 'GET /v1/Units/*', errorRate: 1, errorStatus: 503, count: 1 },
    ]);
    await c.client.units.list();
    await c.client.units.get(UNIT);
    // Retry-After: 0 → no wait at all; without it, full-jitter backoff (random 0.5 × base 4 ms).
    expect(sleeps).toEqual([0, 2]);
    expect([c.calls(CALL.listUnits), c.calls(CALL.getUnit)]).toEqual([2, 2]);
  });

  it('a 5xx that persists fails after maxAttempts with a retryable FlexyKeyServerError', async () => {
    c.sim.simulator.setFaults([{ match: 'GET /v1/UnitIdEntries', errorRate: 1, errorStatus: 502 }]);
    const error = await failureOf(c.client.unitIdEntries.list({ unitId: UNIT }));
    expect(error).toBeInstanceOf(FlexyKeyServerError);
    expect(error).toMatchObject({ code: 'server_error', statusCode: 502, retryable: true });
    expect(c.calls(CALL.listEntries)).toBe(FAST_RETRY.maxAttempts);
  });

  it('a 503 on POST /UnitIdEntries is not replayed: exactly one create arrived, and nothing landed', async () => {
    c.sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', errorRate: 1, errorStatus: 503, count: 1 },
    ]);
    const input = entryInput(UNIT, 1);
    const error = await failureOf(c.client.unitIdEntries.create(input));
    expect(error).toBeInstanceOf(FlexyKeyServerError);
    expect(error).toMatchObject({ statusCode: 503, retryable: false });
    expect(c.calls(CALL.createEntry)).toBe(1);
    expect(sleeps).toEqual([]);
    // The caller re-reads and reconciles: the row is not there, so creating it is right.
    expect((await c.client.unitIdEntries.list({ unitId: UNIT, search: input.idNumber })).items).toEqual([]);
    await c.client.unitIdEntries.create(input);
    expect(rowsWith(input.idNumber)).toHaveLength(1);
  });

  it('a 503 on PushChanges, Control or a booking create is not replayed either', async () => {
    c.sim.simulator.setFaults([{ match: 'POST *', errorRate: 1, errorStatus: 503, count: 3 }]);
    expect(await failureOf(c.client.unitSync.pushChanges({ unitId: UNIT }))).toBeInstanceOf(
      FlexyKeyServerError,
    );
    expect(
      await failureOf(c.client.control.send({ unitId: UNIT, outputNumber: 'F1', outputAction: '5' })),
    ).toBeInstanceOf(FlexyKeyServerError);
    expect(
      await failureOf(
        c.client.bookings.create({
          bookingObjectId: 502,
          startIso: '2026-06-01T15:00:00Z',
          endIso: '2026-06-02T10:00:00Z',
        }),
      ),
    ).toBeInstanceOf(FlexyKeyServerError);
    expect([c.calls(CALL.push), c.calls(CALL.sendControl), c.calls(CALL.createBooking)]).toEqual([1, 1, 1]);
  });

  it('the POSTs that are safe to repeat (Abort, Tools) are retried after a 503', async () => {
    c.sim.simulator.setFaults([
      { match: 'POST /v1/Tools/*', errorRate: 1, errorStatus: 503, count: 1 },
      { match: 'POST /v1/UnitSync/Abort', errorRate: 1, errorStatus: 503, count: 1 },
    ]);
    expect(await c.client.tools.allUnitDataSyncState({ unitId: UNIT, unitSyncState: 'Changed' })).toEqual({
      unitId: UNIT,
      affected: 2,
    });
    expect((await c.client.unitSync.abort({ unitId: UNIT })).status).toBe('NothingToAbort');
    expect([c.calls(CALL.toolsAll), c.calls(CALL.abort)]).toEqual([2, 2]);
  });

  it('a partial error rate (injected random source) is ridden out by the retries', async () => {
    // Draws: error, ok, error, error, ok — with errorRate 0.5.
    const draws = [0.1, 0.9, 0.2, 0.3, 0.8];
    let i = 0;
    await start(() => draws[i++] as number);
    c.sim.simulator.setFaults([{ match: 'GET /v1/UnitSync/Status', errorRate: 0.5, errorStatus: 500 }]);
    expect((await c.client.unitSync.status({ unitId: UNIT })).state).toBe('None');
    expect((await c.client.unitSync.status({ unitId: UNIT })).state).toBe('None');
    expect(c.calls(CALL.status)).toBe(5);
    expect(i).toBe(5);
  });
});

describe('429 and Retry-After', () => {
  beforeEach(() => start());

  it('a 429 with Retry-After is retried after that delay, even for a create (the server did not process it)', async () => {
    c.sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', errorRate: 1, errorStatus: 429, retryAfterSeconds: 1, count: 1 },
    ]);
    const input = entryInput(UNIT, 1);
    const started = performance.now();
    const created = await c.client.unitIdEntries.create(input);
    const elapsed = performance.now() - started;
    expect(created.idNumber).toBe(input.idNumber);
    expect(sleeps).toEqual([1_000]);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(c.calls(CALL.createEntry)).toBe(2);
    expect(rowsWith(input.idNumber)).toHaveLength(1);
  });

  it('a Retry-After above the client’s cap is not waited for: FlexyKeyRateLimitError carries retryAfterMs', async () => {
    const capped = c.newClient({
      retry: { ...FAST_RETRY, maxDelayMs: 500, sleep: async (ms) => void sleeps.push(ms) },
    });
    c.sim.simulator.setFaults([
      { match: 'GET /v1/Units', errorRate: 1, errorStatus: 429, retryAfterSeconds: 2, count: 1 },
    ]);
    const started = performance.now();
    const error = await failureOf(capped.units.list());
    // Well under the 2 s it would have waited (room for a busy machine).
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(FlexyKeyRateLimitError);
    expect(error).toMatchObject({
      code: 'rate_limited',
      statusCode: 429,
      retryable: true,
      retryAfterMs: 2_000,
    });
    expect(c.calls(CALL.listUnits)).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('an exceeded request budget → FlexyKeyRateLimitError with the window’s remaining time, not retried', async () => {
    c.sim.simulator.setBudget({ maxRequests: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) await c.client.units.get(UNIT);
    const started = performance.now();
    const error = await failureOf(c.client.units.get(UNIT));
    // Well under the client's 5 s cap, let alone the window's minute (room for a busy machine).
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(FlexyKeyRateLimitError);
    expect(error.retryAfterMs).toBeGreaterThan(FAST_RETRY.maxDelayMs);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(c.calls(CALL.getUnit)).toBe(4);
    expect(c.sim.simulator.budget().rejected).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('a budget window shorter than the cap is waited out and the call succeeds', async () => {
    c.sim.simulator.setBudget({ maxRequests: 2, windowMs: 800 });
    await c.client.units.get(UNIT);
    await c.client.units.get(UNIT);
    const unit = await c.client.units.get(UNIT);
    expect(unit.unitId).toBe(UNIT);
    expect(sleeps).toEqual([1_000]);
    expect(c.calls(CALL.getUnit)).toBe(4);
    expect(c.sim.simulator.budget().rejected).toBe(1);
  });
});

// undici checks headers timeouts on a ~0.5 s tick, so a 100 ms timeout fires within about 1 s: the
// injected latency must clearly exceed that.
const SLOW_MS = 1_500;

describe('connections dropped or too slow', () => {
  beforeEach(() => start());

  it('a dropped connection on POST create → FlexyKeyConnectionError; exactly one create arrived; re-listing shows it did not land', async () => {
    c.sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', dropRate: 1, count: 1 }]);
    const input = entryInput(UNIT, 1);
    const error = await failureOf(c.client.unitIdEntries.create(input));
    expect(error).toBeInstanceOf(FlexyKeyConnectionError);
    expect(error).toMatchObject({ code: 'connection_reset', requestSent: true, retryable: false });
    expect(c.calls(CALL.createEntry)).toBe(1);
    expect(sleeps).toEqual([]);
    // Reconcile: the row is not there (the simulator drops before handling), so creating it is safe.
    const found = await c.client.unitIdEntries.list({ unitId: UNIT, search: input.idNumber });
    expect(found.total).toBe(0);
    await c.client.unitIdEntries.create(input);
    expect(c.calls(CALL.createEntry)).toBe(2);
    expect(rowsWith(input.idNumber)).toHaveLength(1);
  });

  it('a dropped connection on a GET is retried and succeeds', async () => {
    c.sim.simulator.setFaults([{ match: 'GET /v1/Units/*', dropRate: 1, count: 1 }]);
    expect((await c.client.units.get(UNIT)).unitId).toBe(UNIT);
    expect(c.calls(CALL.getUnit)).toBe(2);
  });

  it('a create that times out is not replayed; it did land, so re-reading finds it and a blind retry would conflict', async () => {
    const impatient = c.newClient({ timeouts: { headersMs: 100 } });
    c.sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', latencyMs: SLOW_MS, count: 1 }]);
    const input = entryInput(UNIT, 1);
    const error = await failureOf(impatient.unitIdEntries.create(input));
    expect(error).toBeInstanceOf(FlexyKeyTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', phase: 'headers', requestSent: true, retryable: false });
    expect(c.calls(CALL.createEntry)).toBe(1);
    // The client gave up before the server acted; a slow server still finishes the request (and a
    // DELETE without a body does, in the simulator), so the row must land after the latency.
    expect(rowsWith(input.idNumber)).toHaveLength(0);
    const landed = await waitFor(
      async () => {
        const page = await c.client.unitIdEntries.list({ unitId: UNIT, search: input.idNumber });
        return page.items[0] ?? null;
      },
      { timeoutMs: SLOW_MS + 3_000, description: 'the timed-out create to land on the server' },
    );
    expect(landed).toMatchObject({ idNumber: input.idNumber, syncState: 'Changed' });
    expect(await failureOf(c.client.unitIdEntries.create(input))).toBeInstanceOf(FlexyKeyConflictError);
    expect(rowsWith(input.idNumber)).toHaveLength(1);
  });

  it('a GET that times out once is retried and succeeds', async () => {
    const impatient = c.newClient({ timeouts: { headersMs: 100 } });
    // Far slower than the ~1 s the timeout takes to fire (see SLOW_MS), so "did not wait for the slow
    // answer" stays visible on a busy machine.
    const verySlowMs = 3 * SLOW_MS;
    c.sim.simulator.setFaults([{ match: 'GET /v1/Units', latencyMs: verySlowMs, count: 1 }]);
    const started = performance.now();
    expect(await impatient.units.list()).toHaveLength(3);
    expect(performance.now() - started).toBeLessThan(verySlowMs);
    expect(c.calls(CALL.listUnits)).toBe(2);
  });
});
