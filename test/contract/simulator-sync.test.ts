import { SEED_SERIALS, SEED_UNITS, startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "Unit sync": PushChanges packages changed data and returns at once; Status has a ~2 s cache
// guard and says "No active unit programming" when idle; Abort clears pending packets. The notes'
// working assumptions fix the shapes.

const UNIT = SEED_UNITS.main;
const HAND_MADE_ID = '+46701234567';

let sim: TestSimulator;

async function start(options: Parameters<typeof startTestSimulator>[0] = {}, latencyMs = 15) {
  sim = await startTestSimulator({ statusCacheGuardMs: 50, packetSize: 2, ...options });
  await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: latencyMs });
}

const status = async () => (await sim.api('GET', `UnitSync/Status?unitId=${UNIT}`)).body;
const push = async () => (await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: UNIT } })).body;
const abort = async () => (await sim.api('POST', 'UnitSync/Abort', { body: { unitId: UNIT } })).body;
const unitView = async () => (await sim.admin('GET', `units/${UNIT}`)).body;
const rows = async () => (await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&limit=1000`)).body.items;
const deviceIdNumbers = async () =>
  ((await unitView()).deviceMemory.entries as { idNumber: string }[]).map((e) => e.idNumber).sort();

async function createRows(count: number, prefix = '+4670300'): Promise<{ id: number; idNumber: string }[]> {
  const created = [];
  for (let i = 0; i < count; i++) {
    const res = await sim.api('POST', 'UnitIdEntries', {
      body: { unitId: UNIT, idNumber: `${prefix}${i}`, action: 'R1', codeTag: `${5000 + i}` },
    });
    expect(res.status).toBe(201);
    created.push(res.body);
  }
  return created;
}

/** Waits on the live (uncached) state in the admin view. */
async function waitForLive(state: string, timeoutMs = 5_000): Promise<void> {
  await waitFor(async () => (await unitView()).sync.status.state === state, {
    timeoutMs,
    description: `live sync state ${state}`,
  });
}

describe('idle unit', () => {
  beforeEach(() => start());

  it('never synced: active false, state None, "No active unit programming"', async () => {
    expect(await status()).toEqual({
      unitId: UNIT,
      active: false,
      state: 'None',
      progressPercent: 0,
      packetsTotal: 0,
      packetsSent: 0,
      startedIso: null,
      updatedIso: null,
      message: 'No active unit programming',
    });
  });

  it('PushChanges with nothing changed → NoChanges', async () => {
    expect(await push()).toEqual({
      unitId: UNIT,
      status: 'NoChanges',
      packetCount: 0,
      message: expect.any(String),
    });
    expect((await status()).state).toBe('None');
  });

  it('accepts serialNumber instead of unitId, and refuses neither / a mismatch', async () => {
    await createRows(1);
    const bySerial = await sim.api('POST', 'UnitSync/PushChanges', {
      body: { serialNumber: SEED_SERIALS.main },
    });
    expect(bySerial.body).toMatchObject({ unitId: UNIT, status: 'Queued' });
    const neither = await sim.api('POST', 'UnitSync/PushChanges', { body: {} });
    expect(neither.status).toBe(400);
    expect(neither.body.errors).toHaveProperty('unitId');
    const mismatch = await sim.api('POST', 'UnitSync/PushChanges', {
      body: { unitId: UNIT, serialNumber: SEED_SERIALS.otherCompany },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toHaveProperty('serialNumber');
    const statusBySerial = await sim.api('GET', `UnitSync/Status?serialNumber=${SEED_SERIALS.main}`);
    expect(statusBySerial.body.unitId).toBe(UNIT);
  });
});

describe('a full sync', () => {
  beforeEach(() => start({}, 60));

  it('delivers packets one by one into device memory, with progress, then Completed', async () => {
    const created = await createRows(5);
    const handMade = (await rows()).find((r: { idNumber: string }) => r.idNumber === HAND_MADE_ID);
    await sim.api('DELETE', `UnitIdEntries/${handMade.id}?unitId=${UNIT}`);

    const queued = await push();
    expect(queued).toEqual({ unitId: UNIT, status: 'Queued', packetCount: 3, message: expect.any(String) });

    const seen: { state: string; progressPercent: number; packetsSent: number }[] = [];
    await waitFor(
      async () => {
        const s = await status();
        seen.push(s);
        return s.state === 'Completed';
      },
      { timeoutMs: 5_000, intervalMs: 10 },
    );
    const inProgress = seen.filter((s) => s.state === 'InProgress');
    expect(inProgress.length).toBeGreaterThan(0);
    expect(inProgress.some((s) => s.progressPercent > 0 && s.progressPercent < 100)).toBe(true);
    const sent = seen.map((s) => s.packetsSent);
    expect([...sent].sort((a, b) => a - b)).toEqual(sent);

    const final = await status();
    expect(final).toMatchObject({
      unitId: UNIT,
      active: false,
      state: 'Completed',
      progressPercent: 100,
      packetsTotal: 3,
      packetsSent: 3,
    });
    expect(Date.parse(final.updatedIso)).toBeGreaterThanOrEqual(Date.parse(final.startedIso));

    // The unit now holds exactly the new entries; the deleted hand-made one is gone everywhere.
    expect(await deviceIdNumbers()).toEqual(created.map((r) => r.idNumber).sort());
    const after = await rows();
    expect(after.map((r: { idNumber: string }) => r.idNumber).sort()).toEqual(
      created.map((r) => r.idNumber).sort(),
    );
    expect(after.every((r: { syncState: string }) => r.syncState === 'Synced')).toBe(true);

    const view = await unitView();
    expect(view.sync.history).toEqual([
      expect.objectContaining({ state: 'Completed', packetsTotal: 3, packetsSent: 3, rowsApplied: 6 }),
    ]);
    expect(view.sync.overlapViolations).toBe(0);
    expect(await push()).toMatchObject({ status: 'NoChanges' });
  });

  it('device memory grows packet by packet while server rows settle', async () => {
    await createRows(4);
    // A packet interval the polls below cannot miss, however busy the machine.
    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 300 });
    await push();
    const view = await waitFor(
      async () => {
        const v = await unitView();
        return v.sync.status.packetsSent === 1 && v.sync.status.state === 'InProgress' ? v : null;
      },
      { intervalMs: 5 },
    );
    // One packet = two rows delivered (plus the seed's hand-made entry already there).
    expect(view.deviceMemory.entries).toHaveLength(3);
    expect(view.rows.filter((r: { syncState: string }) => r.syncState === 'Synced')).toHaveLength(3);
    await waitForLive('Completed');
    expect((await unitView()).deviceMemory.entries).toHaveLength(5);
  });

  it('a PushChanges while InProgress → AlreadyRunning and counts an overlap violation', async () => {
    await createRows(4);
    // A sync of about a second, so the second push surely arrives while it runs.
    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 500 });
    await push();
    const second = await push();
    expect(second).toMatchObject({ unitId: UNIT, status: 'AlreadyRunning' });
    expect(second.packetCount).toBeGreaterThan(0);
    const view = await unitView();
    expect(view.sync.overlapViolations).toBe(1);
    expect((await sim.admin('GET', 'state')).body.overlapViolations).toBe(1);
    await waitForLive('Completed');
  });
});

describe('edits during a sync', () => {
  beforeEach(() => start({ packetSize: 10 }, 150));

  it('a row edited after the snapshot stays Changed; the unit holds the older version', async () => {
    const [row] = await createRows(1);
    await push();
    const put = await sim.api('PUT', `UnitIdEntries/${row?.id}`, {
      body: { unitId: UNIT, idNumber: row?.idNumber, action: 'R1', codeTag: '777777' },
    });
    expect(put.body.syncState).toBe('Changed');
    await waitForLive('Completed');
    const after = (await rows()).find((r: { id: number }) => r.id === row?.id);
    expect(after.syncState).toBe('Changed');
    const device = (await unitView()).deviceMemory.entries.find((e: { id: number }) => e.id === row?.id);
    expect(device.codeTag).toBe('5000');

    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 5 });
    expect(await push()).toMatchObject({ status: 'Queued', packetCount: 1 });
    await waitForLive('Completed');
    expect((await rows()).find((r: { id: number }) => r.id === row?.id).syncState).toBe('Synced');
    const device2 = (await unitView()).deviceMemory.entries.find((e: { id: number }) => e.id === row?.id);
    expect(device2.codeTag).toBe('777777');
  });

  it('a row deleted after the snapshot stays PendingDelete and goes at the next sync', async () => {
    const [row] = await createRows(1);
    await push();
    await sim.api('DELETE', `UnitIdEntries/${row?.id}?unitId=${UNIT}`);
    await waitForLive('Completed');
    expect((await rows()).find((r: { id: number }) => r.id === row?.id).syncState).toBe('PendingDelete');
    expect(await deviceIdNumbers()).toContain(row?.idNumber);
    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 5 });
    await push();
    await waitForLive('Completed');
    expect((await rows()).find((r: { id: number }) => r.id === row?.id)).toBeUndefined();
    expect(await deviceIdNumbers()).not.toContain(row?.idNumber);
  });

  it('a name-only edit during the sync still lets the row settle as Synced', async () => {
    const [row] = await createRows(1);
    await push();
    await sim.api('PUT', `UnitIdEntries/${row?.id}`, {
      body: { unitId: UNIT, idNumber: row?.idNumber, action: 'R1', codeTag: '5000', name: 'Renamed' },
    });
    await waitForLive('Completed');
    expect((await rows()).find((r: { id: number }) => r.id === row?.id)).toMatchObject({
      name: 'Renamed',
      syncState: 'Synced',
    });
  });
});

describe('status cache guard', () => {
  it('a poll right after PushChanges still shows the previous sync finished; later the new one', async () => {
    // A guard long next to the few requests made inside it, so a busy machine cannot outlast it.
    await start({ statusCacheGuardMs: 1_000 }, 5);
    await createRows(1, '+4670400');
    await push();
    await waitFor(async () => (await status()).state === 'Completed', { timeoutMs: 5_000 });
    const previous = await status();

    await createRows(1, '+4670500');
    expect(await push()).toMatchObject({ status: 'Queued' });
    const right = await status();
    expect(right).toEqual(previous); // the cached snapshot: same startedIso, Completed
    expect((await unitView()).sync.history).toHaveLength(2);

    const fresh = await waitFor(
      async () => {
        const s = await status();
        return s.startedIso !== previous.startedIso ? s : null;
      },
      { timeoutMs: 5_000 },
    );
    expect(Date.parse(fresh.startedIso)).toBeGreaterThan(Date.parse(previous.startedIso));
  });

  it('with the guard at 0 every poll is fresh', async () => {
    // A packet slow enough that the poll right after the push surely finds the sync still running.
    await start({ statusCacheGuardMs: 0 }, 2_000);
    const before = await status();
    await createRows(1);
    await push();
    const after = await status();
    expect(before.state).toBe('None');
    expect(after.state).toBe('InProgress');
  });
});

describe('offline unit, timeout and Abort', () => {
  // Long next to the one or two requests the tests make right after a push, before it may expire.
  beforeEach(() => start({ syncTimeoutMs: 1_000 }, 10));

  it('offline → TimedOut → AlreadyRunning until Abort → online → the sync succeeds', async () => {
    await sim.admin('PATCH', `units/${UNIT}`, { online: false });
    const [row] = await createRows(1);
    expect(await push()).toMatchObject({ status: 'Queued', packetCount: 1 });
    const inFlight = await status();
    expect(inFlight).toMatchObject({ state: 'InProgress', active: true });
    expect(inFlight.message).toMatch(/offline/);

    await waitFor(async () => (await status()).state === 'TimedOut', { timeoutMs: 5_000 });
    const timedOut = await status();
    expect(timedOut).toMatchObject({ active: false, state: 'TimedOut', packetsSent: 0, packetsTotal: 1 });

    // The vendor rule: a timed-out sync keeps its packets until Abort.
    const blocked = await push();
    expect(blocked).toMatchObject({ status: 'AlreadyRunning', packetCount: 1 });
    await sim.admin('PATCH', `units/${UNIT}`, { online: true });
    expect(await push()).toMatchObject({ status: 'AlreadyRunning' });
    const view = await unitView();
    expect(view.sync.overlapViolations).toBe(0);
    expect(view.sync.pushesWhilePending).toBe(2);
    expect(view.deviceMemory.entries.map((e: { id: number }) => e.id)).not.toContain(row?.id);

    expect(await abort()).toEqual({ unitId: UNIT, status: 'Aborted', clearedPackets: 1 });
    expect(await abort()).toEqual({ unitId: UNIT, status: 'NothingToAbort', clearedPackets: 0 });
    await waitFor(async () => (await status()).state === 'Aborted');
    expect((await rows()).find((r: { id: number }) => r.id === row?.id).syncState).toBe('Changed');

    expect(await push()).toMatchObject({ status: 'Queued', packetCount: 1 });
    await waitFor(async () => (await status()).state === 'Completed', { timeoutMs: 5_000 });
    expect(await deviceIdNumbers()).toContain(row?.idNumber);
    expect((await unitView()).sync.history.map((h: { state: string }) => h.state)).toEqual([
      'TimedOut',
      'Completed',
    ]);
  });

  it('a unit that comes back online before the timeout finishes the same sync', async () => {
    await sim.admin('PATCH', `units/${UNIT}`, { online: false });
    await createRows(1);
    await push();
    await sim.admin('PATCH', `units/${UNIT}`, { online: true });
    await waitForLive('Completed');
  });

  it('the timeout counts from the last progress, so a long but moving sync does not time out', async () => {
    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 400 });
    await createRows(10); // 5 packets × 400 ms > 1 s timeout
    await push();
    await waitForLive('Completed');
    expect((await unitView()).sync.history[0].state).toBe('Completed');
  });
});

describe('failures and Abort', () => {
  it('a unit set to fail after N packets ends Failed; rows of delivered packets are Synced, the rest Changed', async () => {
    await start({}, 10);
    await sim.admin('PATCH', `units/${UNIT}`, { failAfterPackets: 1 });
    const created = await createRows(5);
    expect(await push()).toMatchObject({ packetCount: 3 });
    await waitFor(async () => (await status()).state === 'Failed', { timeoutMs: 5_000 });
    expect(await status()).toMatchObject({
      active: false,
      packetsSent: 1,
      packetsTotal: 3,
      progressPercent: 33,
    });

    const states = (await rows()).filter((r: { idNumber: string }) => r.idNumber !== HAND_MADE_ID);
    expect(states.map((r: { syncState: string }) => r.syncState)).toEqual([
      'Synced',
      'Synced',
      'Changed',
      'Changed',
      'Changed',
    ]);
    expect(await deviceIdNumbers()).toEqual(
      [HAND_MADE_ID, created[0]?.idNumber, created[1]?.idNumber].sort(),
    );

    expect(await push()).toMatchObject({ status: 'AlreadyRunning', packetCount: 2 });
    expect(await abort()).toEqual({ unitId: UNIT, status: 'Aborted', clearedPackets: 2 });
    await sim.admin('PATCH', `units/${UNIT}`, { failAfterPackets: null });
    expect(await push()).toMatchObject({ status: 'Queued', packetCount: 2 });
    await waitForLive('Completed');
    expect((await deviceIdNumbers()).length).toBe(6);
    const history = (await unitView()).sync.history;
    expect(history[0]).toMatchObject({ state: 'Failed', clearedPackets: 2, abortedIso: expect.any(String) });
    expect(history[1]).toMatchObject({ state: 'Completed' });
  });

  it('Abort during InProgress clears the pending packets; undelivered rows stay Changed', async () => {
    await start({}, 150);
    await createRows(6);
    await push();
    await waitFor(async () => (await unitView()).sync.status.packetsSent === 1, { intervalMs: 5 });
    const aborted = await abort();
    expect(aborted).toEqual({ unitId: UNIT, status: 'Aborted', clearedPackets: 2 });
    await waitFor(async () => (await status()).state === 'Aborted');
    const s = await status();
    expect(s).toMatchObject({ active: false, packetsSent: 1, packetsTotal: 3 });
    const changed = (await rows()).filter((r: { syncState: string }) => r.syncState === 'Changed');
    expect(changed).toHaveLength(4);
    // Nothing more arrives after the abort (one more packet interval passes).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await unitView()).deviceMemory.entries).toHaveLength(3);
    expect((await unitView()).sync.history[0]).toMatchObject({ state: 'Aborted', packetsSent: 1 });
  });

  it('Abort with nothing running → NothingToAbort (also after Completed)', async () => {
    await start({}, 5);
    expect(await abort()).toEqual({ unitId: UNIT, status: 'NothingToAbort', clearedPackets: 0 });
    await createRows(1);
    await push();
    await waitForLive('Completed');
    expect(await abort()).toEqual({ unitId: UNIT, status: 'NothingToAbort', clearedPackets: 0 });
  });
});
