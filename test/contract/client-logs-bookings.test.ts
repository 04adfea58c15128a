import {
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  FlexyKeyRequestValidationError,
  FlexyKeyValidationError,
  type LogEntry,
} from '../../src/flexykey';
import {
  CALL,
  type Contract,
  entryInput,
  failureOf,
  pushAndComplete,
  startContract,
} from '../helpers/contract';
import { SEED_BOOKING_OBJECTS, SEED_UNITS } from '../helpers/simulator';

// Guide, "Logs": FlexyKey logs are readable through the API (not Evva logs); "Booking API": create a
// booking on a booking object, a success carries a unique bookingId. Everything else is the notes'
// working assumptions (GET /Logs paging, GET/DELETE /Bookings). Company scoping applies to both.

const UNIT = SEED_UNITS.main;
const HAND_MADE_PIN = '4711';

let c: Contract;

beforeEach(async () => {
  c = await startContract();
});

describe('logs', () => {
  it('door access simulated on the unit shows up as log rows, without the PIN', async () => {
    const granted = c.sim.simulator.simulateAccess(UNIT, { pin: HAND_MADE_PIN });
    expect(granted).toMatchObject({ granted: true, reason: 'Granted' });
    const denied = c.sim.simulator.simulateAccess(UNIT, { pin: '8080' });
    expect(denied).toMatchObject({ granted: false, reason: 'UnknownCredential' });

    const page = await c.client.logs.list({ unitId: UNIT });
    expect(page.total).toBe(2);
    expect(page.items.map((l) => l.eventType).sort()).toEqual(['AccessDenied', 'AccessGranted']);
    const grantedRow = page.items.find((l) => l.eventType === 'AccessGranted') as LogEntry;
    expect(grantedRow).toMatchObject({ unitId: UNIT, idNumber: '+46701234567', name: 'Caretaker' });
    expect(grantedRow.id).toBe(granted.logId);
    expect(Number.isNaN(Date.parse(grantedRow.timestampIso ?? ''))).toBe(false);
    const text = JSON.stringify(page);
    expect(text).not.toContain(HAND_MADE_PIN);
    expect(text).not.toContain('8080');
  });

  it('a PIN opens the door only after the sync has put it on the unit (and only inside its window)', async () => {
    const input = entryInput(UNIT, 7);
    const pin = input.codeTag as string;
    await c.client.unitIdEntries.create(input);
    const inside = '2026-04-23T12:00:00Z';
    expect(c.sim.simulator.simulateAccess(UNIT, { pin, atIso: inside }).granted).toBe(false);
    await pushAndComplete(c.client, UNIT);
    expect(c.sim.simulator.simulateAccess(UNIT, { pin, atIso: inside })).toMatchObject({
      granted: true,
      idNumber: input.idNumber,
    });
    expect(c.sim.simulator.simulateAccess(UNIT, { pin, atIso: '2026-04-26T12:00:00Z' }).reason).toBe(
      'Expired',
    );
    const logs = await c.client.logs.list({
      unitId: UNIT,
      fromIso: '2026-04-01T00:00:00Z',
      toIso: '2026-05-01T00:00:00Z',
    });
    const access = logs.items.filter((l) => l.eventType?.startsWith('Access'));
    expect(access.map((l) => [l.eventType, l.idNumber])).toEqual([
      ['AccessDenied', input.idNumber],
      ['AccessGranted', input.idNumber],
      ['AccessDenied', null],
    ]);
  });

  it('pages newest first with limit/offset; fromIso is inclusive, toIso exclusive', async () => {
    const times = Array.from({ length: 7 }, (_, i) => `2026-05-01T0${i + 1}:00:00Z`);
    for (const atIso of times) c.sim.simulator.simulateAccess(UNIT, { pin: HAND_MADE_PIN, atIso });

    const pages = [];
    for (let offset = 0; offset < 9; offset += 3) {
      pages.push(await c.client.logs.list({ unitId: UNIT, limit: 3, offset }));
    }
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
    expect(pages.every((p) => p.total === 7)).toBe(true);
    const walked = pages.flatMap((p) => p.items.map((l) => l.timestampIso));
    expect(walked.map((t) => Date.parse(t ?? ''))).toEqual([...times].reverse().map((t) => Date.parse(t)));

    const window = await c.client.logs.list({
      unitId: UNIT,
      fromIso: '2026-05-01T03:00:00Z',
      toIso: '2026-05-01T05:00:00+00:00',
    });
    expect(window.total).toBe(2);
    expect(window.items.map((l) => Date.parse(l.timestampIso ?? ''))).toEqual([
      Date.parse('2026-05-01T04:00:00Z'),
      Date.parse('2026-05-01T03:00:00Z'),
    ]);
  });

  it('bad queries are refused before sending; another company’s unit → FlexyKeyForbiddenError', async () => {
    const inverted = await failureOf(
      c.client.logs.list({ unitId: UNIT, fromIso: '2026-05-02T00:00:00Z', toIso: '2026-05-01T00:00:00Z' }),
    );
    expect(inverted).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect(await failureOf(c.client.logs.list({ unitId: UNIT, limit: 0 }))).toBeInstanceOf(
      FlexyKeyRequestValidationError,
    );
    expect(await failureOf(c.client.logs.list({ unitId: UNIT, fromIso: '2026-05-01' }))).toBeInstanceOf(
      FlexyKeyRequestValidationError,
    );
    expect(c.calls(CALL.listLogs)).toBe(0);
    expect(await failureOf(c.client.logs.list({ unitId: SEED_UNITS.otherCompany }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
  });
});

describe('bookings', () => {
  const OBJECT = SEED_BOOKING_OBJECTS.guestFlat;
  const booking = {
    bookingObjectId: OBJECT,
    startIso: '2026-06-01T15:00:00+02:00',
    endIso: '2026-06-04T11:00:00+02:00',
    name: 'Astrid Lindgren',
    phone: '+46701112233',
    externalRef: 'airbnb:HM123',
  };

  it('create (unique bookingId) → list → delete (204) → gone', async () => {
    const first = await c.client.bookings.create(booking);
    const second = await c.client.bookings.create({
      ...booking,
      startIso: '2026-06-10T15:00:00+02:00',
      endIso: '2026-06-12T11:00:00+02:00',
      externalRef: 'airbnb:HM124',
    });
    expect(typeof first.bookingId).toBe('string');
    expect(first.bookingId).not.toBe(second.bookingId);
    expect(first).toMatchObject({
      bookingObjectId: OBJECT,
      name: booking.name,
      externalRef: booking.externalRef,
    });
    expect(Date.parse(first.startIso ?? '')).toBe(Date.parse(booking.startIso));

    const all = await c.client.bookings.list({ bookingObjectId: OBJECT });
    expect(all.map((b) => b.bookingId)).toEqual([first.bookingId, second.bookingId]);
    const june1to5 = await c.client.bookings.list({
      bookingObjectId: OBJECT,
      fromIso: '2026-06-01T00:00:00Z',
      toIso: '2026-06-05T00:00:00Z',
    });
    expect(june1to5.map((b) => b.externalRef)).toEqual(['airbnb:HM123']);

    await c.client.bookings.delete({ bookingId: first.bookingId });
    expect(c.calls(CALL.deleteBooking)).toBe(1);
    expect((await c.client.bookings.list({ bookingObjectId: OBJECT })).map((b) => b.bookingId)).toEqual([
      second.bookingId,
    ]);
    expect(await failureOf(c.client.bookings.delete({ bookingId: first.bookingId }))).toBeInstanceOf(
      FlexyKeyNotFoundError,
    );
  });

  it("another company's booking object or booking → FlexyKeyForbiddenError; it stays theirs", async () => {
    const theirs = SEED_BOOKING_OBJECTS.otherCompany;
    expect(await failureOf(c.client.bookings.create({ ...booking, bookingObjectId: theirs }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(await failureOf(c.client.bookings.list({ bookingObjectId: theirs }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    const their = await c.other.bookings.create({ ...booking, bookingObjectId: theirs });
    expect(await failureOf(c.client.bookings.delete({ bookingId: their.bookingId }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect((await c.other.bookings.list({ bookingObjectId: theirs })).map((b) => b.bookingId)).toEqual([
      their.bookingId,
    ]);
    expect(await failureOf(c.client.bookings.list({ bookingObjectId: 999_999 }))).toBeInstanceOf(
      FlexyKeyNotFoundError,
    );
  });

  it.each([
    ['end before start', { endIso: '2026-06-01T14:00:00+02:00' }],
    ['end equal to start', { endIso: '2026-06-01T15:00:00+02:00' }],
    ['a start without zone', { startIso: '2026-06-01T15:00:00' }],
    ['booking object 0', { bookingObjectId: 0 }],
  ])('the client refuses %s before sending', async (_label, change) => {
    const error = await failureOf(c.client.bookings.create({ ...booking, ...change }));
    expect(error).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect(c.calls(CALL.createBooking)).toBe(0);
  });

  it.each([
    ['a phone that is no number', { phone: 'call the front desk' }, 'phone'],
    ['a name over 50 characters', { name: 'N'.repeat(51) }, 'name'],
  ])(
    'the server refuses %s: 400 → FlexyKeyValidationError, not retried, nothing stored',
    async (_l, change, field) => {
      const error = await failureOf(c.client.bookings.create({ ...booking, ...change }));
      expect(error).toBeInstanceOf(FlexyKeyValidationError);
      expect((error as FlexyKeyValidationError).fieldErrors[field]?.length).toBeGreaterThan(0);
      expect(c.calls(CALL.createBooking)).toBe(1);
      expect(await c.client.bookings.list({ bookingObjectId: OBJECT })).toEqual([]);
    },
  );
});
