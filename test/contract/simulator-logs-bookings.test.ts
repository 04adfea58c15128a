import {
  OTHER_INTEGRATOR,
  SEED_BOOKING_OBJECTS,
  SEED_UNITS,
  startTestSimulator,
  type TestSimulator,
} from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide: "FlexyKey logs are available via API"; "Booking API … Successful responses include a
// unique bookingId". Shapes are the notes' working assumptions.

const UNIT = SEED_UNITS.main;
let sim: TestSimulator;

beforeEach(async () => {
  sim = await startTestSimulator({ statusCacheGuardMs: 0 });
  await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 5 });
});

const access = async (body: Record<string, unknown>) => {
  const res = await sim.admin('POST', `units/${UNIT}/access`, body);
  expect(res.status).toBe(200);
  return res.body;
};
const logs = async (qs = '') => (await sim.api('GET', `Logs?unitId=${UNIT}${qs}`)).body;

async function syncNow(): Promise<void> {
  expect((await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: UNIT } })).body.status).toBe(
    'Queued',
  );
  await waitFor(async () => (await sim.admin('GET', `units/${UNIT}`)).body.sync.status.state === 'Completed');
}

describe('access at the door decides from device memory', () => {
  it('a PIN that exists only on the server is denied until a sync delivers it', async () => {
    await sim.api('POST', 'UnitIdEntries', {
      body: {
        unitId: UNIT,
        idNumber: '+46705550001',
        name: 'Guest Ann',
        action: 'R1',
        codeTag: '918273',
        validFromIso: '2026-06-01T14:00:00+02:00',
        validToIso: '2026-06-03T11:00:00+02:00',
      },
    });
    const before = await access({ pin: '918273', atIso: '2026-06-02T10:00:00Z' });
    expect(before).toMatchObject({ granted: false, reason: 'UnknownCredential' });

    await syncNow();
    const during = await access({ pin: '918273', atIso: '2026-06-02T10:00:00Z' });
    expect(during).toMatchObject({
      granted: true,
      reason: 'Granted',
      idNumber: '+46705550001',
      action: 'R1',
    });
    expect(await access({ pin: '918273', atIso: '2026-06-01T11:59:59Z' })).toMatchObject({
      granted: false,
      reason: 'NotYetValid',
    });
    expect(await access({ pin: '918273', atIso: '2026-06-03T09:00:00Z' })).toMatchObject({
      granted: false,
      reason: 'Expired',
    });
    expect(await access({ phone: '+46705550001', atIso: '2026-06-02T10:00:00Z' })).toMatchObject({
      granted: true,
    });
  });

  it('after a server-side delete, the unit still opens until the deletion is synced', async () => {
    const rows = (await sim.api('GET', `UnitIdEntries?unitId=${UNIT}`)).body.items;
    await sim.api('DELETE', `UnitIdEntries/${rows[0].id}?unitId=${UNIT}`);
    expect(await access({ pin: '4711' })).toMatchObject({ granted: true });
    await syncNow();
    expect(await access({ pin: '4711' })).toMatchObject({ granted: false, reason: 'UnknownCredential' });
  });

  it('writes AccessGranted / AccessDenied log rows without the PIN', async () => {
    await access({ pin: '4711', atIso: '2026-03-01T08:00:00Z' });
    await access({ pin: '0000', atIso: '2026-03-01T09:00:00Z' });
    await access({ phone: '+46700000000', atIso: '2026-03-01T10:00:00Z' });
    const res = await logs();
    expect(res.total).toBe(3);
    expect(res.items.map((l: { eventType: string }) => l.eventType)).toEqual([
      'AccessDenied',
      'AccessDenied',
      'AccessGranted',
    ]);
    expect(res.items[2]).toEqual({
      id: expect.any(Number),
      unitId: UNIT,
      timestamp: '2026-03-01T09:00:00', // Stockholm local (UTC+1 in March)
      timestampIso: '2026-03-01T08:00:00Z',
      eventType: 'AccessGranted',
      idNumber: '+46701234567',
      name: 'Caretaker',
      description: expect.any(String),
    });
    expect(JSON.stringify(res)).not.toContain('4711');
    expect(JSON.stringify(res)).not.toMatch(/"0000"|: 0000/);
  });

  it('the admin access endpoint validates its body', async () => {
    const both = await sim.admin('POST', `units/${UNIT}/access`, { pin: '1234', phone: '+4670' });
    expect(both.status).toBe(400);
    const badPin = await sim.admin('POST', `units/${UNIT}/access`, { pin: '12' });
    expect(badPin.body.errors).toHaveProperty('pin');
    expect((await sim.admin('POST', 'units/999/access', { pin: '1234' })).status).toBe(404);
  });
});

describe('GET /Logs', () => {
  beforeEach(async () => {
    for (let h = 0; h < 12; h++) {
      await access({ pin: '4711', atIso: `2026-03-02T${String(h).padStart(2, '0')}:00:00Z` });
    }
  });

  it('filters by fromIso (inclusive) and toIso (exclusive), newest first', async () => {
    const res = await logs('&fromIso=2026-03-02T03:00:00Z&toIso=2026-03-02T06:00:00Z');
    expect(res.total).toBe(3);
    expect(res.items.map((l: { timestampIso: string }) => l.timestampIso)).toEqual([
      '2026-03-02T05:00:00Z',
      '2026-03-02T04:00:00Z',
      '2026-03-02T03:00:00Z',
    ]);
  });

  it('pages with limit and offset', async () => {
    const page1 = await logs('&limit=5&offset=0');
    const page3 = await logs('&limit=5&offset=10');
    expect(page1.total).toBe(12);
    expect(page1.items).toHaveLength(5);
    expect(page3.items).toHaveLength(2);
    expect(page3.items[1].timestampIso).toBe('2026-03-02T00:00:00Z');
  });

  it.each([
    ['unitId', ''],
    ['fromIso', '&fromIso=yesterday'],
    ['limit', '&limit=1001'],
    ['toIso', '&fromIso=2026-03-02T06:00:00Z&toIso=2026-03-02T03:00:00Z'],
  ])('400 naming %s', async (field, qs) => {
    const path = field === 'unitId' ? 'Logs' : `Logs?unitId=${UNIT}${qs}`;
    const res = await sim.api('GET', path);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });
});

describe('Bookings', () => {
  const OBJECT = SEED_BOOKING_OBJECTS.laundry;
  const booking = (extra: Record<string, unknown> = {}) => ({
    bookingObjectId: OBJECT,
    startIso: '2026-05-01T08:00:00+02:00',
    endIso: '2026-05-01T11:00:00+02:00',
    name: 'Anna Andersson',
    phone: '+46701112233',
    externalRef: 'pms-42',
    ...extra,
  });

  it('POST → 201 with a unique bookingId and the booking', async () => {
    const a = await sim.api('POST', 'Bookings', { body: booking() });
    const b = await sim.api('POST', 'Bookings', { body: booking({ externalRef: 'pms-43' }) });
    expect(a.status).toBe(201);
    expect(a.body).toEqual({
      bookingId: expect.any(Number),
      bookingObjectId: OBJECT,
      startIso: '2026-05-01T06:00:00Z',
      endIso: '2026-05-01T09:00:00Z',
      name: 'Anna Andersson',
      phone: '+46701112233',
      externalRef: 'pms-42',
      createdIso: expect.stringMatching(/Z$/),
    });
    expect(b.body.bookingId).not.toBe(a.body.bookingId);
  });

  it('GET lists bookings of an object overlapping [fromIso, toIso), by start', async () => {
    await sim.api('POST', 'Bookings', {
      body: booking({ startIso: '2026-05-02T08:00:00Z', endIso: '2026-05-02T09:00:00Z' }),
    });
    await sim.api('POST', 'Bookings', {
      body: booking({ startIso: '2026-05-01T08:00:00Z', endIso: '2026-05-01T09:00:00Z' }),
    });
    await sim.api('POST', 'Bookings', {
      body: booking({ bookingObjectId: SEED_BOOKING_OBJECTS.guestFlat, externalRef: 'flat' }),
    });
    const all = await sim.api('GET', `Bookings?bookingObjectId=${OBJECT}`);
    expect(all.body.map((b: { startIso: string }) => b.startIso)).toEqual([
      '2026-05-01T08:00:00Z',
      '2026-05-02T08:00:00Z',
    ]);
    const window = await sim.api(
      'GET',
      `Bookings?bookingObjectId=${OBJECT}&fromIso=2026-05-01T09:00:00Z&toIso=2026-05-03T00:00:00Z`,
    );
    expect(window.body).toHaveLength(1);
    expect(window.body[0].startIso).toBe('2026-05-02T08:00:00Z');
  });

  it('DELETE → 204, then 404; another company → 403', async () => {
    const created = (await sim.api('POST', 'Bookings', { body: booking() })).body;
    const theirs = (
      await sim.api('POST', 'Bookings', {
        user: OTHER_INTEGRATOR,
        body: booking({ bookingObjectId: SEED_BOOKING_OBJECTS.otherCompany }),
      })
    ).body;
    expect((await sim.api('DELETE', `Bookings/${theirs.bookingId}`)).status).toBe(403);
    const del = await sim.api('DELETE', `Bookings/${created.bookingId}`);
    expect(del.status).toBe(204);
    expect((await sim.api('DELETE', `Bookings/${created.bookingId}`)).status).toBe(404);
    expect((await sim.api('GET', `Bookings?bookingObjectId=${OBJECT}`)).body).toEqual([]);
  });

  it.each([
    ['endIso', { endIso: '2026-05-01T08:00:00+02:00' }],
    ['endIso', { endIso: '2026-05-01T07:00:00+02:00' }],
    ['startIso', { startIso: '2026-05-01' }],
    ['startIso', { startIso: undefined }],
    ['bookingObjectId', { bookingObjectId: 'laundry' }],
    ['name', { name: 'n'.repeat(51) }],
    ['phone', { phone: 'call me' }],
  ])('POST 400 naming %s for %j', async (field, patch) => {
    const res = await sim.api('POST', 'Bookings', { body: booking(patch) });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });

  it('an unknown booking object → 404', async () => {
    expect((await sim.api('POST', 'Bookings', { body: booking({ bookingObjectId: 999 }) })).status).toBe(404);
    expect((await sim.api('GET', 'Bookings?bookingObjectId=999')).status).toBe(404);
    expect((await sim.api('GET', 'Bookings')).body.errors).toHaveProperty('bookingObjectId');
  });
});
