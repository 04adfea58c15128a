import {
  type ControlStatus,
  FlexyKeyForbiddenError,
  FlexyKeyRequestValidationError,
  FlexyKeyValidationError,
} from '../../src/flexykey';
import { loadSeedFile } from '../../src/simulator';
import { CALL, type Contract, failureOf, startContract } from '../helpers/contract';
import { SEED_SERIALS, SEED_UNITS } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "Control": POST /Control with unitId or serialNumber, F1/F2/X1–X64, ON/OFF/pulse seconds;
// GET /Control returns the IO state with the same global IO names. "Unit information": CHECK commands
// are asynchronous (queued, answered later in GET /UnitMessages, newest first, default 20, max 100),
// with per-command cache and rate limits reported in the result status.

const UNIT = SEED_UNITS.main;
const WEXP = SEED_UNITS.wexp;

// FLEXYKEY: the inner shape of fOutputs / xOutputs is undocumented; the simulator (and only it) uses
// `[{ globalNumber, state }]`, so reading it is a simulator-specific assertion.
function output(
  status: Pick<ControlStatus, 'fOutputs' | 'xOutputs'>,
  globalNumber: string,
): string | undefined {
  const lists = [status.fOutputs, status.xOutputs] as { globalNumber: string; state: string }[][];
  return lists.flat().find((io) => io.globalNumber === globalNumber)?.state;
}

let c: Contract;

describe('control', () => {
  beforeEach(async () => {
    c = await startContract({ simulator: { pulseTimeScale: 0.05 } });
  });

  it('ON and OFF by unitId; GET by unitId and by serialNumber show the same state', async () => {
    const on = await c.client.control.send({ unitId: UNIT, outputNumber: 'F1', outputAction: 'ON' });
    expect(on).toEqual({
      status: 'OK',
      unitId: UNIT,
      outputNumber: 'F1',
      outputAction: 'ON',
      messageId: null,
    });
    const byId = await c.client.control.get({ unitId: UNIT });
    expect(byId).toMatchObject({ unitId: UNIT, serialNumber: SEED_SERIALS.main, isCached: false });
    expect(output(byId, 'F1')).toBe('ON');
    expect(output(byId, 'F2')).toBe('OFF');
    const bySerial = await c.client.control.get({ serialNumber: SEED_SERIALS.main });
    expect(bySerial).toEqual(byId);
    expect(Number.isNaN(Date.parse(byId.statusTimestampIso ?? ''))).toBe(false);
    expect(byId.xInputs).toEqual([]);

    await c.client.control.send({ serialNumber: SEED_SERIALS.main, outputNumber: 'F1', outputAction: 'OFF' });
    expect(output(await c.client.control.get({ unitId: UNIT }), 'F1')).toBe('OFF');
  });

  it('a pulse switches the output on, and off again after the (scaled) seconds', async () => {
    // "20" seconds × pulseTimeScale 0.05 = 1 s: the read right after still falls inside the pulse,
    // however busy the machine.
    await c.client.control.send({ unitId: UNIT, outputNumber: 'F2', outputAction: '20' });
    expect(output(await c.client.control.get({ unitId: UNIT }), 'F2')).toBe('ON');
    await waitFor(async () => output(await c.client.control.get({ unitId: UNIT }), 'F2') === 'OFF', {
      timeoutMs: 5_000,
      description: 'pulse to end',
    });
    const logs = await c.client.logs.list({ unitId: UNIT });
    expect(logs.items.map((l) => l.description)).toEqual(
      expect.arrayContaining([expect.stringContaining('F2 ON'), expect.stringContaining('F2 OFF')]),
    );
  });

  it('expansion relays discovered by GET /Units are switched by serialNumber', async () => {
    const unit = await c.client.units.get(WEXP);
    const alarm = unit.expansions.flatMap((e) => e.relays).find((io) => io.description === 'Alarm output');
    expect(alarm?.globalNumber).toBe('X5');
    await c.client.control.send({
      serialNumber: unit.serialNumber as string,
      outputNumber: alarm?.globalNumber as string,
      outputAction: 'ON',
    });
    const status = await c.client.control.get({ unitId: WEXP });
    expect(output(status, 'X5')).toBe('ON');
    expect(output(status, 'X4')).toBe('OFF');
  });

  it('an output the unit does not have → 400 → FlexyKeyValidationError naming outputNumber, sent once', async () => {
    // X9 is a valid name (X1–X64) but unit 3023 has no expansion.
    const error = await failureOf(
      c.client.control.send({ unitId: UNIT, outputNumber: 'X9', outputAction: 'ON' }),
    );
    expect(error).toBeInstanceOf(FlexyKeyValidationError);
    expect(error).toMatchObject({ statusCode: 400, retryable: false });
    expect((error as FlexyKeyValidationError).fieldErrors.outputNumber?.length).toBeGreaterThan(0);
    expect(c.calls(CALL.sendControl)).toBe(1);
  });

  it.each([
    ['output F3', { outputNumber: 'F3', outputAction: 'ON' }, 'outputNumber'],
    ['output X65', { outputNumber: 'X65', outputAction: 'ON' }, 'outputNumber'],
    ['action "0"', { outputNumber: 'F1', outputAction: '0' }, 'outputAction'],
    ['action "100000"', { outputNumber: 'F1', outputAction: '100000' }, 'outputAction'],
    ['action "5s"', { outputNumber: 'F1', outputAction: '5s' }, 'outputAction'],
    ['action "on"', { outputNumber: 'F1', outputAction: 'on' }, 'outputAction'],
  ])('the client refuses %s before sending', async (_label, fields, field) => {
    const error = await failureOf(c.client.control.send({ unitId: UNIT, ...fields }));
    expect(error).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect((error as FlexyKeyRequestValidationError).field).toBe(field);
    expect(c.calls(CALL.sendControl)).toBe(0);
  });

  it('both unitId and serialNumber, or neither, are refused before sending', async () => {
    const both = { unitId: UNIT, serialNumber: SEED_SERIALS.main, outputNumber: 'F1', outputAction: 'ON' };
    expect(await failureOf(c.client.control.send(both as never))).toBeInstanceOf(
      FlexyKeyRequestValidationError,
    );
    expect(await failureOf(c.client.control.get({} as never))).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect(c.totalCalls()).toBe(0);
  });

  it("another company's unit → FlexyKeyForbiddenError, by unitId and by serialNumber", async () => {
    const other = { outputNumber: 'F1', outputAction: 'ON' };
    expect(
      await failureOf(c.client.control.send({ unitId: SEED_UNITS.otherCompany, ...other })),
    ).toBeInstanceOf(FlexyKeyForbiddenError);
    expect(await failureOf(c.client.control.get({ serialNumber: SEED_SERIALS.otherCompany }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(output(c.unit(SEED_UNITS.otherCompany).io, 'F1')).toBe('OFF');
  });

  it('an offline unit answers from cache (isCached) and carries out the command when it returns', async () => {
    const offline = SEED_UNITS.offline;
    expect(
      await c.client.control.send({ unitId: offline, outputNumber: 'F1', outputAction: 'ON' }),
    ).toMatchObject({
      status: 'OK',
    });
    const cached = await c.client.control.get({ unitId: offline });
    expect(cached.isCached).toBe(true);
    expect(output(cached, 'F1')).toBe('OFF');
    c.sim.simulator.updateUnit(offline, { online: true });
    const live = await c.client.control.get({ unitId: offline });
    expect(live.isCached).toBe(false);
    expect(output(live, 'F1')).toBe('ON');
  });
});

describe('unit information', () => {
  const GUIDE_TYPES = [
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
  ];

  beforeEach(async () => {
    const seed = loadSeedFile();
    // No cache or rate limit for CHECKTIME, so a test can fill the message list quickly.
    c = await startContract({
      simulator: {
        seed: { ...seed, unitInfoLimits: { CHECKTIME: { cacheSeconds: 0, rateLimitSeconds: 0 } } },
      },
      unitLatencyMs: 20,
    });
  });

  it('RequestUnitInfoTypes lists the guide’s command types and the two profiles', async () => {
    const types = await c.client.unitInfo.types();
    expect(types.commands.map((t) => t.typeName).sort()).toEqual([...GUIDE_TYPES].sort());
    for (const command of types.commands) {
      expect(command.cacheSeconds).toEqual(expect.any(Number));
      expect(command.rateLimitSeconds).toEqual(expect.any(Number));
    }
    const profiles = Object.fromEntries(types.profiles.map((p) => [p.profile, p.commands]));
    expect(profiles).toEqual({
      controlStatusFull: ['CHECKASTAT', 'CHECKCOUNTERS', 'CHECKTEMP', 'CHECKSYS'],
      controlStatusMedium: ['CHECKASTAT', 'CHECKCOUNTERS', 'CHECKTEMP'],
    });
  });

  it('Queued, then RateLimited while unanswered; the answer appears after the latency; then Cached', async () => {
    const first = await c.client.unitInfo.request({ unitId: UNIT, typeName: 'CHECKTEMP' });
    expect(first).toEqual({
      unitId: UNIT,
      results: [{ typeName: 'CHECKTEMP', status: 'Queued', messageId: expect.any(Number) }],
    });
    // Asynchronous: nothing has been answered yet.
    expect(await c.client.unitInfo.messages({ unitId: UNIT })).toEqual([]);
    const again = await c.client.unitInfo.request({ unitId: UNIT, typeName: 'CHECKTEMP' });
    expect(again.results).toEqual([{ typeName: 'CHECKTEMP', status: 'RateLimited', messageId: null }]);

    const [answer] = await waitFor(async () => {
      const list = await c.client.unitInfo.messages({ unitId: UNIT, typeName: 'CHECKTEMP' });
      return list.length > 0 ? list : null;
    });
    expect(answer).toMatchObject({ unitId: UNIT, typeName: 'CHECKTEMP', message: expect.any(String) });
    expect(Number.isNaN(Date.parse(answer?.timestampIso ?? ''))).toBe(false);

    const cached = await c.client.unitInfo.request({
      serialNumber: SEED_SERIALS.main,
      typeName: 'CHECKTEMP',
    });
    expect(cached.results).toEqual([{ typeName: 'CHECKTEMP', status: 'Cached', messageId: answer?.id }]);
    // Neither the rate-limited nor the cached request produced another answer.
    expect(await c.client.unitInfo.messages({ unitId: UNIT, typeName: 'CHECKTEMP' })).toHaveLength(1);
  });

  it('a profile queues each of its commands; the answers come newest first and can be filtered', async () => {
    const result = await c.client.unitInfo.request({ unitId: UNIT, profile: 'controlStatusFull' });
    expect(result.results.map((r) => [r.typeName, r.status])).toEqual([
      ['CHECKASTAT', 'Queued'],
      ['CHECKCOUNTERS', 'Queued'],
      ['CHECKTEMP', 'Queued'],
      ['CHECKSYS', 'Queued'],
    ]);
    await c.client.unitInfo.request({ unitId: UNIT, typeName: 'CHECKTIME' });
    const messages = await waitFor(async () => {
      const list = await c.client.unitInfo.messages({ unitId: UNIT });
      return list.length === 5 ? list : null;
    });
    const ids = messages.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const times = messages.map((m) => Date.parse(m.timestampIso ?? ''));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(messages[0]?.typeName).toBe('CHECKTIME');
    expect(new Set(messages.map((m) => m.typeName))).toEqual(
      new Set(['CHECKASTAT', 'CHECKCOUNTERS', 'CHECKTEMP', 'CHECKSYS', 'CHECKTIME']),
    );
    const sys = await c.client.unitInfo.messages({ unitId: UNIT, typeName: 'CHECKSYS' });
    expect(sys.map((m) => m.typeName)).toEqual(['CHECKSYS']);
  });

  it('default 20 rows, limit up to 100, limit 101 refused before sending', async () => {
    for (let i = 0; i < 25; i++) {
      const r = await c.client.unitInfo.request({ unitId: UNIT, typeName: 'CHECKTIME' });
      expect(r.results[0]?.status).toBe('Queued');
    }
    await waitFor(async () => (await c.client.unitInfo.messages({ unitId: UNIT, limit: 100 })).length === 25);
    const defaults = await c.client.unitInfo.messages({ unitId: UNIT });
    expect(defaults).toHaveLength(20);
    const all = await c.client.unitInfo.messages({ unitId: UNIT, limit: 100 });
    expect(defaults).toEqual(all.slice(0, 20));
    expect(await c.client.unitInfo.messages({ unitId: UNIT, limit: 3 })).toEqual(all.slice(0, 3));

    const before = c.calls(CALL.unitMessages);
    const error = await failureOf(c.client.unitInfo.messages({ unitId: UNIT, limit: 101 }));
    expect(error).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect((error as FlexyKeyRequestValidationError).field).toBe('limit');
    expect(c.calls(CALL.unitMessages)).toBe(before);
  });

  it('an unknown command type → 400 → FlexyKeyValidationError; typeName and profile together are refused locally', async () => {
    const error = await failureOf(c.client.unitInfo.request({ unitId: UNIT, typeName: 'CHECKEVERYTHING' }));
    expect(error).toBeInstanceOf(FlexyKeyValidationError);
    expect((error as FlexyKeyValidationError).fieldErrors.typeName?.length).toBeGreaterThan(0);
    const unknownProfile = await failureOf(
      c.client.unitInfo.request({ unitId: UNIT, profile: 'everything' }),
    );
    expect((unknownProfile as FlexyKeyValidationError).fieldErrors.profile?.length).toBeGreaterThan(0);
    expect(c.calls(CALL.requestUnitInfo)).toBe(2);

    const both = { unitId: UNIT, typeName: 'CHECKTEMP', profile: 'controlStatusFull' };
    expect(await failureOf(c.client.unitInfo.request(both as never))).toBeInstanceOf(
      FlexyKeyRequestValidationError,
    );
    expect(c.calls(CALL.requestUnitInfo)).toBe(2);
  });

  it('a command for an offline unit is queued and answered only once the unit is back', async () => {
    const offline = SEED_UNITS.offline;
    const queued = await c.client.unitInfo.request({ unitId: offline, typeName: 'CHECKSYS' });
    expect(queued.results[0]?.status).toBe('Queued');
    expect(c.unit(offline).pendingUnitInfoCommands).toBe(1);
    expect(await c.client.unitInfo.messages({ unitId: offline })).toEqual([]);
    c.sim.simulator.updateUnit(offline, { online: true, packetLatencyMs: 5 });
    const [answer] = await waitFor(async () => {
      const list = await c.client.unitInfo.messages({ unitId: offline });
      return list.length > 0 ? list : null;
    });
    expect(answer?.typeName).toBe('CHECKSYS');
  });

  it("another company's unit → FlexyKeyForbiddenError", async () => {
    const other = SEED_UNITS.otherCompany;
    expect(
      await failureOf(c.client.unitInfo.request({ unitId: other, typeName: 'CHECKTEMP' })),
    ).toBeInstanceOf(FlexyKeyForbiddenError);
    expect(await failureOf(c.client.unitInfo.messages({ unitId: other }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
  });
});
