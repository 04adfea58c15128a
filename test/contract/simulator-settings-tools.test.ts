import { SEED_UNITS, startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "Unit settings" (approved catalog only; unapproved → 400; pushed by PushChanges) and
// "Tools" (server-side sync state only; never talk to the unit).

const UNIT = SEED_UNITS.main;
let sim: TestSimulator;

beforeEach(async () => {
  sim = await startTestSimulator({ statusCacheGuardMs: 0 });
  await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 5 });
});

const putSetting = (body: Record<string, unknown>) =>
  sim.api('PUT', 'UnitSettings', { body: { unitId: UNIT, params: '', ...body } });
const unitView = async () => (await sim.admin('GET', `units/${UNIT}`)).body;

async function syncNow(): Promise<void> {
  const res = await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: UNIT } });
  expect(res.body.status).toBe('Queued');
  await waitFor(async () => (await unitView()).sync.status.state === 'Completed');
}

describe('GET /UnitSettings/Definitions', () => {
  it('lists exactly the four approved settings with their input rules', async () => {
    const res = await sim.api('GET', 'UnitSettings/Definitions');
    expect(res.status).toBe(200);
    expect(res.body.map((d: { setting: string }) => d.setting)).toEqual([
      'DefaultRelayPulse',
      'WifiMode',
      'WifiName',
      'WifiPassword',
    ]);
    for (const def of res.body) {
      expect(Object.keys(def).sort()).toEqual(
        ['setting', 'description', 'valueType', 'min', 'max', 'maxLength', 'allowed'].sort(),
      );
    }
    expect(res.body[0]).toMatchObject({ valueType: 'integer', min: 1, max: 99999 });
    expect(res.body[1].allowed).toEqual(expect.arrayContaining(['Off', 'Client']));
  });
});

describe('PUT /UnitSettings', () => {
  it.each([
    ['setting', { setting: 'SecretBackdoor', value: '1' }],
    ['setting', { setting: 'wifiname', value: 'x' }],
    ['value', { setting: 'DefaultRelayPulse', value: '0' }],
    ['value', { setting: 'DefaultRelayPulse', value: 100000 }],
    ['value', { setting: 'DefaultRelayPulse', value: '5s' }],
    ['value', { setting: 'WifiMode', value: 'Turbo' }],
    ['value', { setting: 'WifiName', value: 'n'.repeat(33) }],
    ['value', { setting: 'WifiName', value: '' }],
    ['value', { setting: 'WifiPassword', value: 'short' }],
    ['value', { setting: 'WifiPassword', value: 'p'.repeat(64) }],
    ['unitId', { unitId: undefined, setting: 'WifiMode', value: 'Off' }],
    ['value', { setting: 'WifiMode' }],
  ])('400 naming %s for %j', async (field, body) => {
    const res = await putSetting(body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });

  it('creates rows as Changed, masks WifiPassword, and accepts numbers for integer settings', async () => {
    const pulse = await putSetting({ setting: 'DefaultRelayPulse', value: 12 });
    expect(pulse.status).toBe(200);
    expect(pulse.body).toEqual({
      unitId: UNIT,
      setting: 'DefaultRelayPulse',
      params: '',
      value: '12',
      syncState: 'Changed',
    });
    const pw = await putSetting({ setting: 'WifiPassword', value: 'correct horse' });
    expect(pw.body.value).not.toContain('horse');
    const list = await sim.api('GET', `UnitSettings?unitId=${UNIT}`);
    expect(list.body.map((r: { setting: string }) => r.setting)).toEqual([
      'DefaultRelayPulse',
      'WifiPassword',
    ]);
    expect(JSON.stringify(list.body)).not.toContain('correct horse');
  });

  it('is pushed by PushChanges into device memory; an unchanged value stays Synced', async () => {
    await putSetting({ setting: 'WifiMode', value: 'Client' });
    await putSetting({ setting: 'WifiName', value: 'Laundry-AP' });
    await syncNow();
    const view = await unitView();
    expect(view.deviceMemory.settings).toEqual(
      expect.arrayContaining([
        { setting: 'WifiMode', params: '', value: 'Client' },
        { setting: 'WifiName', params: '', value: 'Laundry-AP' },
      ]),
    );
    expect(view.sync.history[0].settingsApplied).toBe(2);
    const list = (await sim.api('GET', `UnitSettings?unitId=${UNIT}`)).body;
    expect(list.every((r: { syncState: string }) => r.syncState === 'Synced')).toBe(true);
    const same = await putSetting({ setting: 'WifiMode', value: 'Client' });
    expect(same.body.syncState).toBe('Synced');
    const changed = await putSetting({ setting: 'WifiMode', value: 'Off' });
    expect(changed.body.syncState).toBe('Changed');
  });
});

describe('Tools', () => {
  async function entry(idNumber: string) {
    return (
      await sim.api('POST', 'UnitIdEntries', {
        body: { unitId: UNIT, idNumber, action: 'R1', codeTag: '2468' },
      })
    ).body;
  }
  const rowState = async (id: number) =>
    (await sim.api('GET', `UnitIdEntries?unitId=${UNIT}`)).body.items.find((r: { id: number }) => r.id === id)
      .syncState;

  it('IdEntriesSyncState: one row or all rows, server-side only', async () => {
    const a = await entry('tool-a');
    const b = await entry('tool-b');
    const one = await sim.api('POST', 'Tools/IdEntriesSyncState', {
      body: { unitId: UNIT, id: a.id, unitSyncState: 'Synced' },
    });
    expect(one.body).toEqual({ unitId: UNIT, affected: 1 });
    expect(await rowState(a.id)).toBe('Synced');
    expect(await rowState(b.id)).toBe('Changed');
    // Marked Synced without a sync: the unit still does not hold it.
    expect((await unitView()).deviceMemory.entries.map((e: { id: number }) => e.id)).not.toContain(a.id);

    const all = await sim.api('POST', 'Tools/IdEntriesSyncState', {
      body: { unitId: UNIT, unitSyncState: 'Changed' },
    });
    expect(all.body).toEqual({ unitId: UNIT, affected: 2 }); // a + the seed's hand-made entry
    const missing = await sim.api('POST', 'Tools/IdEntriesSyncState', {
      body: { unitId: UNIT, id: 999999, unitSyncState: 'Synced' },
    });
    expect(missing.status).toBe(404);
  });

  it('marking all Changed resends everything at the next PushChanges', async () => {
    await syncNowIfNeeded();
    await sim.api('POST', 'Tools/AllUnitDataSyncState', { body: { unitId: UNIT, unitSyncState: 'Changed' } });
    const pushed = await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: UNIT } });
    expect(pushed.body).toMatchObject({ status: 'Queued', packetCount: 1 }); // hand-made entry + DefaultRelayPulse
    await waitFor(async () => (await unitView()).sync.status.state === 'Completed');
    expect((await unitView()).sync.history.at(-1)).toMatchObject({ rowsApplied: 1, settingsApplied: 1 });
  });

  async function syncNowIfNeeded() {
    const res = await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: UNIT } });
    if (res.body.status === 'Queued')
      await waitFor(async () => (await unitView()).sync.status.state === 'Completed');
  }

  it('UnitSettingsSyncState: one setting (setting + params) or all', async () => {
    await putSetting({ setting: 'WifiMode', value: 'Client' });
    const one = await sim.api('POST', 'Tools/UnitSettingsSyncState', {
      body: { unitId: UNIT, setting: 'WifiMode', params: '', unitSyncState: 'Synced' },
    });
    expect(one.body).toEqual({ unitId: UNIT, affected: 1 });
    const all = await sim.api('POST', 'Tools/UnitSettingsSyncState', {
      body: { unitId: UNIT, unitSyncState: 'Changed' },
    });
    expect(all.body.affected).toBe(2); // WifiMode + the seed's DefaultRelayPulse
    const unknown = await sim.api('POST', 'Tools/UnitSettingsSyncState', {
      body: { unitId: UNIT, setting: 'WifiName', params: '', unitSyncState: 'Synced' },
    });
    expect(unknown.status).toBe(404);
    // The unit's memory was never touched by the tool.
    expect((await unitView()).deviceMemory.settings).toEqual([
      { setting: 'DefaultRelayPulse', params: '', value: '5' },
    ]);
  });

  it('AllUnitDataSyncState counts rows and settings', async () => {
    await entry('tool-c');
    const res = await sim.api('POST', 'Tools/AllUnitDataSyncState', {
      body: { unitId: UNIT, unitSyncState: 'Synced' },
    });
    expect(res.body).toEqual({ unitId: UNIT, affected: 1 });
  });

  it.each([
    ['Tools/IdEntriesSyncState', { unitId: UNIT, unitSyncState: 'Deleted' }, 'unitSyncState'],
    ['Tools/IdEntriesSyncState', { unitSyncState: 'Synced' }, 'unitId'],
    ['Tools/UnitSettingsSyncState', { unitId: UNIT }, 'unitSyncState'],
    ['Tools/AllUnitDataSyncState', { unitId: UNIT, unitSyncState: 'PendingDelete' }, 'unitSyncState'],
  ])('%s 400 naming the field for %j', async (path, body, field) => {
    const res = await sim.api('POST', path, { body });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });
});
