import {
  INTEGRATOR,
  OTHER_INTEGRATOR,
  SEED_BOOKING_OBJECTS,
  SEED_SERIALS,
  SEED_UNITS,
  startTestSimulator,
  type TestSimulator,
} from '../helpers/simulator';

// Guide: "All API calls are executed in the context of the authenticated user … the user must belong
// to the same company that owns the target unit or booking object."

let sim: TestSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ statusCacheGuardMs: 0 });
});

describe('Basic authentication', () => {
  it('answers 401 with WWW-Authenticate: Basic when credentials are missing', async () => {
    const res = await sim.api('GET', 'Units', { user: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(typeof res.body.detail).toBe('string');
  });

  it('answers 401 for a wrong password, an unknown user and a non-Basic scheme', async () => {
    const wrong = await sim.api('GET', 'Units', {
      user: { username: INTEGRATOR.username, password: 'nope' },
    });
    const unknown = await sim.api('GET', 'Units', {
      user: { username: 'ghost', password: 'simulator-secret' },
    });
    const bearer = await sim.api('GET', 'Units', { user: null, headers: { authorization: 'Bearer abc' } });
    const garbage = await sim.api('GET', 'Units', { user: null, headers: { authorization: 'Basic !!!' } });
    expect([wrong.status, unknown.status, bearer.status, garbage.status]).toEqual([401, 401, 401, 401]);
  });

  it('accepts valid credentials of either company', async () => {
    expect((await sim.api('GET', 'Units')).status).toBe(200);
    expect((await sim.api('GET', 'Units', { user: OTHER_INTEGRATOR })).status).toBe(200);
  });
});

describe('GET /Units', () => {
  it("lists only the user's company's units, in the working-assumption shape", async () => {
    const mine = await sim.api('GET', 'Units');
    expect(mine.body.map((u: { unitId: number }) => u.unitId).sort()).toEqual([
      SEED_UNITS.main,
      SEED_UNITS.wexp,
      SEED_UNITS.offline,
    ]);
    const theirs = await sim.api('GET', 'Units', { user: OTHER_INTEGRATOR });
    expect(theirs.body.map((u: { unitId: number }) => u.unitId)).toEqual([SEED_UNITS.otherCompany]);

    const main = mine.body.find((u: { unitId: number }) => u.unitId === SEED_UNITS.main);
    expect(Object.keys(main).sort()).toEqual(
      [
        'unitId',
        'serialNumber',
        'name',
        'unitType',
        'online',
        'lastSeenIso',
        'relays',
        'inputs',
        'expansions',
        'sensors',
        'counters',
      ].sort(),
    );
    expect(main.serialNumber).toBe(SEED_SERIALS.main);
    expect(main.expansions).toEqual([]);
    expect(main.relays[0]).toEqual({ localNumber: 1, globalNumber: 'F1', description: expect.any(String) });
    expect(main.lastSeenIso).toMatch(/Z$/);
  });

  it('shows a WEXP expansion with relays X1–X8 and inputs IX1–IX4', async () => {
    const res = await sim.api('GET', `Units/${SEED_UNITS.wexp}`);
    expect(res.status).toBe(200);
    const [wexp] = res.body.expansions;
    expect(wexp.type).toBe('WEXP');
    expect(wexp.relays.map((r: { globalNumber: string }) => r.globalNumber)).toEqual([
      'X1',
      'X2',
      'X3',
      'X4',
      'X5',
      'X6',
      'X7',
      'X8',
    ]);
    expect(wexp.inputs.map((r: { globalNumber: string }) => r.globalNumber)).toEqual([
      'IX1',
      'IX2',
      'IX3',
      'IX4',
    ]);
    expect(wexp.relays[4]).toEqual({ localNumber: 5, globalNumber: 'X5', description: 'Alarm output' });
  });

  it('reports an offline unit as offline', async () => {
    const res = await sim.api('GET', `Units/${SEED_UNITS.offline}`);
    expect(res.body.online).toBe(false);
  });

  it('GET /Units/{id}: 403 for another company, 404 for nobody, 400 for a non-number', async () => {
    expect((await sim.api('GET', `Units/${SEED_UNITS.otherCompany}`)).status).toBe(403);
    expect((await sim.api('GET', 'Units/99999')).status).toBe(404);
    const bad = await sim.api('GET', 'Units/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toHaveProperty('id');
  });
});

describe('company scoping of every resource', () => {
  const other = SEED_UNITS.otherCompany;

  it.each([
    ['GET', `UnitIdEntries?unitId=${other}`, undefined],
    ['POST', 'UnitIdEntries', { unitId: other, idNumber: '+46700000001', action: 'R1' }],
    ['POST', 'UnitSync/PushChanges', { unitId: other }],
    ['GET', `UnitSync/Status?unitId=${other}`, undefined],
    ['POST', 'UnitSync/Abort', { unitId: other }],
    ['GET', `UnitSettings?unitId=${other}`, undefined],
    ['PUT', 'UnitSettings', { unitId: other, setting: 'WifiMode', params: '', value: 'Off' }],
    ['POST', 'Tools/AllUnitDataSyncState', { unitId: other, unitSyncState: 'Changed' }],
    ['POST', 'Control', { unitId: other, outputNumber: 'F1', outputAction: 'ON' }],
    ['POST', 'Control', { serialNumber: SEED_SERIALS.otherCompany, outputNumber: 'F1', outputAction: 'ON' }],
    ['GET', `Control?serialNumber=${SEED_SERIALS.otherCompany}`, undefined],
    ['POST', 'RequestUnitInfo', { unitId: other, typeName: 'CHECKTEMP' }],
    ['GET', `UnitMessages?unitId=${other}`, undefined],
    ['GET', `Webhooks?unitId=${other}`, undefined],
    [
      'PUT',
      'Webhooks',
      { unitId: other, event: 'control.statusChanged', callbackUrl: 'http://127.0.0.1:1/x' },
    ],
    ['GET', `Logs?unitId=${other}`, undefined],
    [
      'POST',
      'Bookings',
      {
        bookingObjectId: SEED_BOOKING_OBJECTS.otherCompany,
        startIso: '2026-05-01T10:00:00Z',
        endIso: '2026-05-01T11:00:00Z',
      },
    ],
    ['GET', `Bookings?bookingObjectId=${SEED_BOOKING_OBJECTS.otherCompany}`, undefined],
  ])('%s %s → 403', async (method, path, body) => {
    const res = await sim.api(method, path, { body });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ status: 403, title: 'Forbidden' });
  });

  it('ID entries of another company: PUT and DELETE → 403, nonexistent → 404', async () => {
    const theirs = await sim.api('GET', `UnitIdEntries?unitId=${other}`, { user: OTHER_INTEGRATOR });
    const id = theirs.body.items[0].id;
    const body = { unitId: other, idNumber: 'x1', action: 'R1' };
    expect((await sim.api('PUT', `UnitIdEntries/${id}`, { body })).status).toBe(403);
    expect((await sim.api('DELETE', `UnitIdEntries/${id}?unitId=${other}`)).status).toBe(403);
    expect((await sim.api('PUT', 'UnitIdEntries/987654', { body })).status).toBe(404);
    expect((await sim.api('DELETE', `UnitIdEntries/987654?unitId=${other}`)).status).toBe(404);
  });

  it('a nonexistent unit → 404 (not 403)', async () => {
    expect((await sim.api('GET', 'UnitIdEntries?unitId=77777')).status).toBe(404);
    expect((await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: 77777 } })).status).toBe(404);
    expect((await sim.api('GET', 'Control?serialNumber=000000000000000')).status).toBe(404);
  });
});
