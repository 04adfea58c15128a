import { loadSeedFile } from '../../src/simulator';
import { SEED_SERIALS, SEED_UNITS, startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "Control" (F1, F2, X1–X64; ON, OFF or "1"–"99999" seconds) and "Unit information"
// (CHECK commands, cache and rate limits, UnitMessages newest first, default 20, max 100).

let sim: TestSimulator;

const state = (list: { globalNumber: string; state: string }[], n: string) =>
  list.find((p) => p.globalNumber === n)?.state;

describe('POST /Control and GET /Control', () => {
  beforeEach(async () => {
    sim = await startTestSimulator({ pulseTimeScale: 0.001 });
  });

  it('switches an output ON and OFF and answers the documented OK shape', async () => {
    const on = await sim.api('POST', 'Control', {
      body: { unitId: SEED_UNITS.main, outputNumber: 'F1', outputAction: 'ON' },
    });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({
      status: 'OK',
      unitId: SEED_UNITS.main,
      outputNumber: 'F1',
      outputAction: 'ON',
      messageId: null,
    });
    let io = (await sim.api('GET', `Control?unitId=${SEED_UNITS.main}`)).body;
    expect(state(io.fOutputs, 'F1')).toBe('ON');
    await sim.api('POST', 'Control', {
      body: { unitId: SEED_UNITS.main, outputNumber: 'F1', outputAction: 'OFF' },
    });
    io = (await sim.api('GET', `Control?serialNumber=${SEED_SERIALS.main}`)).body;
    expect(state(io.fOutputs, 'F1')).toBe('OFF');
  });

  it('GET /Control has exactly the documented fields; xInputs present even without expansion', async () => {
    const io = (await sim.api('GET', `Control?unitId=${SEED_UNITS.main}`)).body;
    expect(Object.keys(io).sort()).toEqual(
      [
        'unitId',
        'serialNumber',
        'statusTimestamp',
        'statusTimestampIso',
        'rawStatus',
        'inputs',
        'fOutputs',
        'xOutputs',
        'xInputsStatusTimestamp',
        'xInputsStatusTimestampIso',
        'rawXInputsStatus',
        'xInputs',
        'isCached',
      ].sort(),
    );
    expect(io.xInputs).toEqual([]);
    expect(io.xInputsStatusTimestampIso).toBeNull();
    expect(io.statusTimestampIso).toMatch(/Z$/);
    expect(io.statusTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    const wexp = (await sim.api('GET', `Control?unitId=${SEED_UNITS.wexp}`)).body;
    expect(wexp.xInputs.map((p: { globalNumber: string }) => p.globalNumber)).toEqual([
      'IX1',
      'IX2',
      'IX3',
      'IX4',
    ]);
    expect(wexp.xOutputs).toHaveLength(8);
    expect(wexp.xInputsStatusTimestampIso).toMatch(/Z$/);
  });

  it('a pulse turns the output ON, then OFF after N seconds × pulseTimeScale', async () => {
    // 1000 s × 0.001 = 1 s: the read right after still falls inside the pulse, however busy the machine.
    const res = await sim.api('POST', 'Control', {
      body: { serialNumber: '040530585131397', outputNumber: 'X5', outputAction: '1000' },
    });
    expect(res.body).toMatchObject({ status: 'OK', unitId: SEED_UNITS.wexp, outputAction: '1000' });
    const during = (await sim.api('GET', `Control?unitId=${SEED_UNITS.wexp}`)).body;
    expect(state(during.xOutputs, 'X5')).toBe('ON');
    await waitFor(
      async () =>
        state((await sim.api('GET', `Control?unitId=${SEED_UNITS.wexp}`)).body.xOutputs, 'X5') === 'OFF',
      { timeoutMs: 5_000 },
    );
    const logs = (await sim.api('GET', `Logs?unitId=${SEED_UNITS.wexp}`)).body.items;
    expect(logs.map((l: { description: string }) => l.description)).toEqual([
      expect.stringContaining('X5 OFF'),
      expect.stringContaining('X5 ON'),
    ]);
  });

  it.each([
    ['outputNumber', { outputNumber: 'F3', outputAction: 'ON' }],
    ['outputNumber', { outputNumber: 'X65', outputAction: 'ON' }],
    ['outputNumber', { outputNumber: 'X9', outputAction: 'ON' }], // valid name, not on this unit
    ['outputNumber', { outputNumber: 'IX1', outputAction: 'ON' }],
    ['outputAction', { outputNumber: 'X1', outputAction: 'TOGGLE' }],
    ['outputAction', { outputNumber: 'X1', outputAction: '0' }],
    ['outputAction', { outputNumber: 'X1', outputAction: '100000' }],
    ['outputAction', { outputNumber: 'X1', outputAction: 60 }],
    ['outputAction', { outputNumber: 'X1', outputAction: '60s' }],
    ['unitId', { unitId: undefined, outputNumber: 'F1', outputAction: 'ON' }],
  ])('400 naming %s for %j', async (field, patch) => {
    const res = await sim.api('POST', 'Control', { body: { unitId: SEED_UNITS.wexp, ...patch } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });

  it('X outputs do not exist on a unit without expansions', async () => {
    const res = await sim.api('POST', 'Control', {
      body: { unitId: SEED_UNITS.main, outputNumber: 'X1', outputAction: 'ON' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty('outputNumber');
  });

  it('an offline unit reports isCached and carries out the command when it returns', async () => {
    const unit = SEED_UNITS.offline;
    const res = await sim.api('POST', 'Control', {
      body: { unitId: unit, outputNumber: 'F1', outputAction: 'ON' },
    });
    expect(res.body.status).toBe('OK');
    let io = (await sim.api('GET', `Control?unitId=${unit}`)).body;
    expect(io.isCached).toBe(true);
    expect(state(io.fOutputs, 'F1')).toBe('OFF');
    await sim.admin('PATCH', `units/${unit}`, { online: true });
    io = (await sim.api('GET', `Control?unitId=${unit}`)).body;
    expect(io.isCached).toBe(false);
    expect(state(io.fOutputs, 'F1')).toBe('ON');
  });
});

describe('RequestUnitInfo and UnitMessages', () => {
  beforeEach(async () => {
    sim = await startTestSimulator();
    await sim.admin('PATCH', `units/${SEED_UNITS.wexp}`, { packetLatencyMs: 5 });
  });

  it('GET /RequestUnitInfoTypes lists the guide catalog with limits and both profiles', async () => {
    const res = await sim.api('GET', 'RequestUnitInfoTypes');
    expect(res.body.commands.map((c: { typeName: string }) => c.typeName)).toEqual([
      'CHECKASTAT',
      'CHECKSTATUS',
      'CHECKCOUNTERS',
      'CHECKTEMP',
      'CHECKSYS',
      'CHECKTIME',
      'CHECKEXP',
      'CHECKCALSTAT',
      'CHECKSALOFFICEMODE',
      'CHECKOUTPUTCAL',
      'CHECKINPUTCAL',
      'CHECKESPNOWMAC',
      'CHECKWEXP',
    ]);
    for (const c of res.body.commands) {
      expect(c).toEqual({
        typeName: expect.any(String),
        description: expect.any(String),
        cacheSeconds: expect.any(Number),
        rateLimitSeconds: expect.any(Number),
      });
    }
    expect(res.body.profiles).toEqual([
      { profile: 'controlStatusFull', commands: ['CHECKASTAT', 'CHECKCOUNTERS', 'CHECKTEMP', 'CHECKSYS'] },
      { profile: 'controlStatusMedium', commands: ['CHECKASTAT', 'CHECKCOUNTERS', 'CHECKTEMP'] },
    ]);
  });

  it('Queued, then RateLimited before the answer, then Cached once the answer arrived', async () => {
    const unit = SEED_UNITS.wexp;
    await sim.admin('PATCH', `units/${unit}`, { online: false });
    const first = await sim.api('POST', 'RequestUnitInfo', { body: { unitId: unit, typeName: 'CHECKTEMP' } });
    expect(first.body).toEqual({
      unitId: unit,
      results: [{ typeName: 'CHECKTEMP', status: 'Queued', messageId: expect.any(Number) }],
    });
    const second = await sim.api('POST', 'RequestUnitInfo', {
      body: { unitId: unit, typeName: 'CHECKTEMP' },
    });
    expect(second.body.results).toEqual([{ typeName: 'CHECKTEMP', status: 'RateLimited', messageId: null }]);
    expect((await sim.api('GET', `UnitMessages?unitId=${unit}`)).body).toEqual([]);

    await sim.admin('PATCH', `units/${unit}`, { online: true });
    const messages = await waitFor(async () => {
      const list = (await sim.api('GET', `UnitMessages?unitId=${unit}`)).body;
      return list.length > 0 ? list : null;
    });
    expect(messages[0]).toEqual({
      id: expect.any(Number),
      unitId: unit,
      typeName: 'CHECKTEMP',
      message: expect.any(String),
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
      timestampIso: expect.stringMatching(/Z$/),
    });
    const third = await sim.api('POST', 'RequestUnitInfo', { body: { unitId: unit, typeName: 'CHECKTEMP' } });
    expect(third.body.results).toEqual([
      { typeName: 'CHECKTEMP', status: 'Cached', messageId: messages[0].id },
    ]);
  });

  it('a profile queues each of its commands; limits apply per command', async () => {
    const unit = SEED_UNITS.wexp;
    await sim.api('POST', 'RequestUnitInfo', { body: { unitId: unit, typeName: 'CHECKSYS' } });
    const res = await sim.api('POST', 'RequestUnitInfo', {
      body: { unitId: unit, profile: 'controlStatusFull' },
    });
    const byType = Object.fromEntries(
      res.body.results.map((r: { typeName: string; status: string }) => [r.typeName, r.status]),
    );
    expect(byType.CHECKASTAT).toBe('Queued');
    expect(byType.CHECKCOUNTERS).toBe('Queued');
    expect(byType.CHECKTEMP).toBe('Queued');
    expect(['RateLimited', 'Cached']).toContain(byType.CHECKSYS);
  });

  it('CHECKEXP may answer with several messages; typeName filters; newest first', async () => {
    const unit = SEED_UNITS.wexp;
    await sim.api('POST', 'RequestUnitInfo', { body: { unitId: unit, typeName: 'CHECKEXP' } });
    await waitFor(
      async () => (await sim.api('GET', `UnitMessages?unitId=${unit}&typeName=CHECKEXP`)).body.length >= 2,
    );
    await sim.api('POST', 'RequestUnitInfo', { body: { unitId: unit, typeName: 'CHECKTIME' } });
    await waitFor(
      async () => (await sim.api('GET', `UnitMessages?unitId=${unit}&typeName=CHECKTIME`)).body.length === 1,
    );
    const all = (await sim.api('GET', `UnitMessages?unitId=${unit}`)).body;
    expect(all.map((m: { typeName: string }) => m.typeName)).toEqual(['CHECKTIME', 'CHECKEXP', 'CHECKEXP']);
    const ids = all.map((m: { id: number }) => m.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    const exp = (await sim.api('GET', `UnitMessages?unitId=${unit}&typeName=CHECKEXP`)).body;
    expect(exp.every((m: { typeName: string }) => m.typeName === 'CHECKEXP')).toBe(true);
  });

  it('UnitMessages: default 20 rows, limit at most 100', async () => {
    const seed = {
      ...loadSeedFile(),
      unitInfoLimits: { CHECKTIME: { cacheSeconds: 0, rateLimitSeconds: 0 } },
    };
    await sim.admin('POST', 'seed', seed);
    const unit = SEED_UNITS.main;
    await sim.admin('PATCH', `units/${unit}`, { packetLatencyMs: 1 });
    for (let i = 0; i < 25; i++) {
      const r = await sim.api('POST', 'RequestUnitInfo', { body: { unitId: unit, typeName: 'CHECKTIME' } });
      expect(r.body.results[0].status).toBe('Queued');
    }
    await waitFor(
      async () => (await sim.api('GET', `UnitMessages?unitId=${unit}&limit=100`)).body.length === 25,
    );
    expect((await sim.api('GET', `UnitMessages?unitId=${unit}`)).body).toHaveLength(20);
    expect((await sim.api('GET', `UnitMessages?unitId=${unit}&limit=100`)).status).toBe(200);
    const over = await sim.api('GET', `UnitMessages?unitId=${unit}&limit=101`);
    expect(over.status).toBe(400);
    expect(over.body.errors).toHaveProperty('limit');
  });

  it.each([
    [{ unitId: 3024, typeName: 'CHECKEVERYTHING' }, 'typeName'],
    [{ unitId: 3024, profile: 'controlStatusHuge' }, 'profile'],
    [{ unitId: 3024 }, 'typeName'],
    [{ unitId: 3024, typeName: 'CHECKTEMP', profile: 'controlStatusFull' }, 'profile'],
    [{ typeName: 'CHECKTEMP' }, 'unitId'],
  ])('RequestUnitInfo %j → 400 naming %s', async (body, field) => {
    const res = await sim.api('POST', 'RequestUnitInfo', { body });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });

  it('UnitMessages needs unitId and a known typeName', async () => {
    expect((await sim.api('GET', 'UnitMessages')).body.errors).toHaveProperty('unitId');
    expect((await sim.api('GET', 'UnitMessages?unitId=3024&typeName=NOPE')).body.errors).toHaveProperty(
      'typeName',
    );
  });
});
