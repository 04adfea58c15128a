import {
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  FlexyKeyRequestValidationError,
  FlexyKeyValidationError,
  type PutUnitSettingInput,
} from '../../src/flexykey';
import {
  CALL,
  type Contract,
  createEntries,
  failureOf,
  heldFields,
  pushAndComplete,
  startContract,
} from '../helpers/contract';
import { SEED_UNITS } from '../helpers/simulator';

// Guide, "Unit settings": only the approved public settings (DefaultRelayPulse, WifiMode, WifiName,
// WifiPassword); unapproved → 400; pushed by PushChanges. "Tools": server-side maintenance that never
// talks to the unit — it only changes what the server considers synchronised.

const UNIT = SEED_UNITS.main;
const APPROVED = ['DefaultRelayPulse', 'WifiMode', 'WifiName', 'WifiPassword'];

let c: Contract;

beforeEach(async () => {
  c = await startContract({ simulator: { packetSize: 2 } });
});

describe('settings', () => {
  it('definitions are exactly the four approved settings, each with its input rule', async () => {
    const definitions = await c.client.unitSettings.definitions();
    expect(definitions.map((d) => d.setting).sort()).toEqual([...APPROVED].sort());
    for (const d of definitions) expect(d.valueType).toEqual(expect.any(String));
    const pulse = definitions.find((d) => d.setting === 'DefaultRelayPulse');
    expect(pulse).toMatchObject({ min: 1, max: 99999 });
    expect(definitions.find((d) => d.setting === 'WifiMode')?.allowed).toEqual(
      expect.arrayContaining(['Off', 'Client']),
    );
  });

  it('put creates or updates one setting (Changed), list returns the rows, WifiPassword is never echoed', async () => {
    expect(await c.client.unitSettings.list({ unitId: UNIT })).toEqual([
      { unitId: UNIT, setting: 'DefaultRelayPulse', params: '', value: '5', syncState: 'Synced' },
    ]);
    const pulse = await c.client.unitSettings.put({ unitId: UNIT, setting: 'DefaultRelayPulse', value: 12 });
    expect(pulse).toMatchObject({ setting: 'DefaultRelayPulse', value: '12', syncState: 'Changed' });
    const mode = await c.client.unitSettings.put({ unitId: UNIT, setting: 'WifiMode', value: 'Client' });
    expect(mode).toMatchObject({ value: 'Client', syncState: 'Changed' });
    const password = await c.client.unitSettings.put({
      unitId: UNIT,
      setting: 'WifiPassword',
      value: 'correct horse battery',
    });
    expect(password.value).not.toBe('correct horse battery');

    const rows = await c.client.unitSettings.list({ unitId: UNIT });
    expect(rows.map((r) => [r.setting, r.syncState]).sort()).toEqual(
      [
        ['DefaultRelayPulse', 'Changed'],
        ['WifiMode', 'Changed'],
        ['WifiPassword', 'Changed'],
      ].sort(),
    );
    expect(JSON.stringify(rows)).not.toContain('correct horse battery');
  });

  it.each<[string, PutUnitSettingInput, string]>([
    ['DefaultRelayPulse 0', { unitId: UNIT, setting: 'DefaultRelayPulse', value: 0 }, 'value'],
    ['DefaultRelayPulse 100000', { unitId: UNIT, setting: 'DefaultRelayPulse', value: 100_000 }, 'value'],
    ['DefaultRelayPulse "ten"', { unitId: UNIT, setting: 'DefaultRelayPulse', value: 'ten' }, 'value'],
    ['WifiMode Turbo', { unitId: UNIT, setting: 'WifiMode', value: 'Turbo' }, 'value'],
    ['WifiName of 33 characters', { unitId: UNIT, setting: 'WifiName', value: 'n'.repeat(33) }, 'value'],
    ['WifiPassword of 7 characters', { unitId: UNIT, setting: 'WifiPassword', value: 'short12' }, 'value'],
  ])(
    'the server refuses %s: 400 → FlexyKeyValidationError with fieldErrors',
    async (_label, input, field) => {
      const error = await failureOf(c.client.unitSettings.put(input));
      expect(error).toBeInstanceOf(FlexyKeyValidationError);
      expect(error).toMatchObject({ statusCode: 400, retryable: false });
      expect((error as FlexyKeyValidationError).fieldErrors[field]?.length).toBeGreaterThan(0);
      expect(c.calls(CALL.putSetting)).toBe(1);
      // Nothing was stored.
      expect(c.unit(UNIT).settings).toEqual([
        { setting: 'DefaultRelayPulse', params: '', value: '5', syncState: 'Synced' },
      ]);
    },
  );

  it('an unapproved setting is refused by the client before sending', async () => {
    const error = await failureOf(
      c.client.unitSettings.put({ unitId: UNIT, setting: 'AdminPin' as 'WifiMode', value: '1234' }),
    );
    expect(error).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect((error as FlexyKeyRequestValidationError).field).toBe('setting');
    expect(c.calls(CALL.putSetting)).toBe(0);
  });

  // FLEXYKEY: the type of `params` is undocumented. Client and simulator must at least agree: what the
  // client lets through must not come back as a 400 (or the client must refuse it before sending).
  it('a params value the client accepts is accepted by the server (here: a number)', async () => {
    let row: Awaited<ReturnType<typeof c.client.unitSettings.put>> | undefined;
    try {
      row = await c.client.unitSettings.put({
        unitId: UNIT,
        setting: 'WifiName',
        params: 2,
        value: 'Guest-2',
      });
    } catch (error) {
      if (!(error instanceof FlexyKeyRequestValidationError)) throw error;
      expect(c.calls(CALL.putSetting)).toBe(0);
      return;
    }
    expect(String(row.params)).toBe('2');
    const listed = (await c.client.unitSettings.list({ unitId: UNIT })).find((r) => r.setting === 'WifiName');
    expect(String(listed?.params)).toBe('2');
    const marked = await c.client.tools.unitSettingsSyncState({
      unitId: UNIT,
      setting: 'WifiName',
      params: 2,
      unitSyncState: 'Synced',
    });
    expect(marked.affected).toBe(1);
  });

  it("another company's unit → FlexyKeyForbiddenError", async () => {
    expect(await failureOf(c.client.unitSettings.list({ unitId: SEED_UNITS.otherCompany }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(
      await failureOf(
        c.client.unitSettings.put({ unitId: SEED_UNITS.otherCompany, setting: 'WifiMode', value: 'Off' }),
      ),
    ).toBeInstanceOf(FlexyKeyForbiddenError);
  });

  it('changed settings reach the unit with the next sync and become Synced', async () => {
    await c.client.unitSettings.put({ unitId: UNIT, setting: 'DefaultRelayPulse', value: 30 });
    await c.client.unitSettings.put({ unitId: UNIT, setting: 'WifiName', value: 'Guest-WiFi' });
    expect(c.unit(UNIT).deviceMemory.settings).toEqual([
      { setting: 'DefaultRelayPulse', params: '', value: '5' },
    ]);

    const run = await pushAndComplete(c.client, UNIT);
    expect(run.final.packetsTotal).toBe(1);
    expect(c.unit(UNIT).deviceMemory.settings).toEqual(
      expect.arrayContaining([
        { setting: 'DefaultRelayPulse', params: '', value: '30' },
        { setting: 'WifiName', params: '', value: 'Guest-WiFi' },
      ]),
    );
    const rows = await c.client.unitSettings.list({ unitId: UNIT });
    expect(rows.every((r) => r.syncState === 'Synced')).toBe(true);
    expect((await c.client.unitSync.pushChanges({ unitId: UNIT })).status).toBe('NoChanges');
  });
});

describe('tools (server-side only)', () => {
  /** Two synced rows of ours plus the hand-made one, and the seed setting, all on the unit. */
  async function syncedUnit() {
    const created = await createEntries(c.client, UNIT, 2);
    await pushAndComplete(c.client, UNIT);
    return created;
  }

  it('IdEntriesSyncState with id marks one row Changed without touching the unit; the next push resends only it', async () => {
    const [first] = await syncedUnit();
    const deviceBefore = c.unit(UNIT).deviceMemory;
    const result = await c.client.tools.idEntriesSyncState({
      unitId: UNIT,
      id: first?.id as number,
      unitSyncState: 'Changed',
    });
    expect(result).toEqual({ unitId: UNIT, affected: 1 });
    expect(c.unit(UNIT).deviceMemory).toEqual(deviceBefore);
    expect(c.unit(UNIT).sync.history).toHaveLength(1);
    const states = (await c.client.unitIdEntries.listAll({ unitId: UNIT })).map((r) => [r.id, r.syncState]);
    expect(states.filter(([, s]) => s === 'Changed')).toEqual([[first?.id, 'Changed']]);

    const run = await pushAndComplete(c.client, UNIT);
    expect(run.final.packetsTotal).toBe(1);
    expect(c.unit(UNIT).sync.history[1]).toMatchObject({ rowsApplied: 1, settingsApplied: 0 });
  });

  it('IdEntriesSyncState Synced for all rows: the server believes it, so PushChanges sends nothing and the unit never gets them', async () => {
    const created = await createEntries(c.client, UNIT, 3);
    const result = await c.client.tools.idEntriesSyncState({ unitId: UNIT, unitSyncState: 'Synced' });
    expect(result.affected).toBe(3);
    const rows = await c.client.unitIdEntries.listAll({ unitId: UNIT });
    expect(rows.every((r) => r.syncState === 'Synced')).toBe(true);
    expect((await c.client.unitSync.pushChanges({ unitId: UNIT })).status).toBe('NoChanges');
    const onDevice = c.device(UNIT).map((e) => e.id);
    for (const row of created) expect(onDevice).not.toContain(row.id);
  });

  it('UnitSettingsSyncState marks one setting (or all) Changed; only the push delivers it again', async () => {
    await syncedUnit();
    const result = await c.client.tools.unitSettingsSyncState({
      unitId: UNIT,
      setting: 'DefaultRelayPulse',
      params: '',
      unitSyncState: 'Changed',
    });
    expect(result).toEqual({ unitId: UNIT, affected: 1 });
    expect((await c.client.unitSettings.list({ unitId: UNIT }))[0]?.syncState).toBe('Changed');
    expect(c.unit(UNIT).sync.history).toHaveLength(1);
    await pushAndComplete(c.client, UNIT);
    expect(c.unit(UNIT).sync.history[1]).toMatchObject({ rowsApplied: 0, settingsApplied: 1 });

    const all = await c.client.tools.unitSettingsSyncState({ unitId: UNIT, unitSyncState: 'Changed' });
    expect(all.affected).toBe(1);
  });

  it('unknown rows or settings → FlexyKeyNotFoundError; params without setting is refused before sending', async () => {
    expect(
      await failureOf(
        c.client.tools.idEntriesSyncState({ unitId: UNIT, id: 999_999, unitSyncState: 'Changed' }),
      ),
    ).toBeInstanceOf(FlexyKeyNotFoundError);
    expect(
      await failureOf(
        c.client.tools.unitSettingsSyncState({ unitId: UNIT, setting: 'WifiName', unitSyncState: 'Changed' }),
      ),
    ).toBeInstanceOf(FlexyKeyNotFoundError);
    const before = c.calls(CALL.toolsSettings);
    const local = await failureOf(
      c.client.tools.unitSettingsSyncState({ unitId: UNIT, params: 'x', unitSyncState: 'Changed' }),
    );
    expect(local).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect(c.calls(CALL.toolsSettings)).toBe(before);
    expect(
      await failureOf(
        c.client.tools.allUnitDataSyncState({ unitId: UNIT, unitSyncState: 'Resend' as 'Changed' }),
      ),
    ).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect(c.calls(CALL.toolsAll)).toBe(0);
  });

  it("another company's unit → FlexyKeyForbiddenError, and its rows stay as they were", async () => {
    const other = SEED_UNITS.otherCompany;
    for (const call of [
      () => c.client.tools.idEntriesSyncState({ unitId: other, unitSyncState: 'Changed' }),
      () => c.client.tools.unitSettingsSyncState({ unitId: other, unitSyncState: 'Changed' }),
      () => c.client.tools.allUnitDataSyncState({ unitId: other, unitSyncState: 'Changed' }),
    ]) {
      expect(await failureOf(call())).toBeInstanceOf(FlexyKeyForbiddenError);
    }
    expect(c.unit(other).rows.map((r) => r.syncState)).toEqual(['Synced']);
  });

  it('the replaced unit: AllUnitDataSyncState Changed, then one push resends every entry and setting', async () => {
    await syncedUnit();
    await c.client.unitSettings.put({ unitId: UNIT, setting: 'WifiMode', value: 'AccessPoint' });
    await pushAndComplete(c.client, UNIT);
    const deviceBefore = c.unit(UNIT).deviceMemory;
    const rowCount = c.unit(UNIT).rows.length;
    const settingCount = c.unit(UNIT).settings.length;
    expect([rowCount, settingCount]).toEqual([3, 2]);

    const result = await c.client.tools.allUnitDataSyncState({ unitId: UNIT, unitSyncState: 'Changed' });
    expect(result).toEqual({ unitId: UNIT, affected: rowCount + settingCount });
    // Server-side only: the unit holds exactly what it held, nothing was sent.
    expect(c.unit(UNIT).deviceMemory).toEqual(deviceBefore);
    expect(c.unit(UNIT).rows.every((r) => r.syncState === 'Changed')).toBe(true);

    const historyBefore = c.unit(UNIT).sync.history.length;
    await pushAndComplete(c.client, UNIT);
    const history = c.unit(UNIT).sync.history;
    expect(history).toHaveLength(historyBefore + 1);
    // The simulator has no way to wipe a unit's memory, so the resend shows in what was delivered.
    expect(history.at(-1)).toMatchObject({ rowsApplied: rowCount, settingsApplied: settingCount });
    const rows = await c.client.unitIdEntries.listAll({ unitId: UNIT });
    expect(rows.every((r) => r.syncState === 'Synced')).toBe(true);
    expect(c.device(UNIT)).toEqual(rows.map(heldFields));

    const back = await c.client.tools.allUnitDataSyncState({ unitId: UNIT, unitSyncState: 'Synced' });
    expect(back.affected).toBe(0);
  });
});
