import {
  bookingEventV1Schema,
  bookingKey,
  formatIssuePath,
  formatZodIssues,
  isDateOnly,
  normalisePhone,
  parseBookingEvent,
} from '../../../src/domain';

const valid = {
  source: 'airbnb',
  externalId: 'HM4T9XK2PQ',
  resource: 'flat-3b',
  start: '2026-12-01',
  end: '2026-12-04',
  status: 'confirmed',
} as const;

function errorsOf(input: unknown): string[] {
  const result = parseBookingEvent(input);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.errors;
}

function eventOf(input: unknown) {
  const result = parseBookingEvent(input);
  if (!result.ok) throw new Error(`expected acceptance, got ${result.errors.join('; ')}`);
  return result.event;
}

describe('BookingEvent v1: accepted shapes', () => {
  it('accepts the minimal event and returns exactly its fields', () => {
    expect(eventOf(valid)).toEqual(valid);
  });

  it('accepts every optional field', () => {
    const event = eventOf({
      ...valid,
      version: 1,
      start: '2026-12-01T15:00:00+01:00',
      end: '2026-12-04T10:00:00Z',
      status: 'cancelled',
      guest: { name: 'Anna Svensson', phone: '+46701234567', email: 'anna@example.se' },
      pin: '0123',
      revision: 7,
    });
    expect(event).toMatchObject({ version: 1, status: 'cancelled', pin: '0123', revision: 7 });
    expect(event.guest).toEqual({ name: 'Anna Svensson', phone: '+46701234567', email: 'anna@example.se' });
  });

  it('strips unknown fields at the top level and in guest', () => {
    const event = eventOf({ ...valid, colour: 'blue', guest: { name: 'A', shoeSize: 44 } });
    expect(event).not.toHaveProperty('colour');
    expect(event.guest).toEqual({ name: 'A' });
  });

  it('treats null as absent for optional fields (serializers of other languages emit it)', () => {
    const event = eventOf({ ...valid, guest: null, pin: null, revision: null, version: null });
    expect(event.guest).toBeUndefined();
    expect(event.pin).toBeUndefined();
    expect(event.revision).toBeUndefined();
    const withGuest = eventOf({ ...valid, guest: { name: null, phone: null, email: null } });
    expect(withGuest.guest).toEqual({ name: undefined, phone: undefined, email: undefined });
  });

  it.each([
    '2026-12-01T15:00:00+01:00',
    '2026-12-01T15:00:00-05:00',
    '2026-12-01T15:00:00Z',
    '2026-12-01T15:00Z',
    '2026-12-01T15:00:00.123Z',
    '2026-12-01T15:00:00+0100',
    '2026-12-01',
  ])('accepts start %s', (start) => {
    expect(eventOf({ ...valid, start, end: '2026-12-05T10:00:00Z' }).start).toBe(start);
  });

  it('keeps a PIN string with leading zeros as it is', () => {
    expect(eventOf({ ...valid, pin: '0042' }).pin).toBe('0042');
    expect(eventOf({ ...valid, pin: '0000042' }).pin).toBe('0000042');
  });

  it('accepts revision 0 and the largest safe integer', () => {
    expect(eventOf({ ...valid, revision: 0 }).revision).toBe(0);
    expect(eventOf({ ...valid, revision: Number.MAX_SAFE_INTEGER }).revision).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('accepts source names made of the safe alphabet', () => {
    for (const source of ['a', 'PMS-1', 'ical.airbnb_2', '9'])
      expect(eventOf({ ...valid, source }).source).toBe(source);
  });

  it('accepts an externalId with any printable characters, spaces and slashes included', () => {
    expect(eventOf({ ...valid, externalId: 'Bokning 12/3 — Ölands 🙂' }).externalId).toBe(
      'Bokning 12/3 — Ölands 🙂',
    );
  });

  it('accepts an equal start and end date only as far as the schema is concerned (the planner decides)', () => {
    expect(eventOf({ ...valid, start: '2026-12-01', end: '2026-12-01' }).end).toBe('2026-12-01');
  });
});

describe('BookingEvent v1: each field wrong in turn names the field and the rule', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['version other than 1', { version: 2 }, 'version: must be 1'],
    ['source missing', { source: undefined }, 'source: is required'],
    ['source empty', { source: '' }, 'source: must not be empty'],
    ['source not a string', { source: 42 }, 'source: must be a string, got a number'],
    ['source with a colon', { source: 'a:b' }, 'source: must start with a letter or digit'],
    ['source with a space', { source: 'my pms' }, 'source: must start with a letter or digit'],
    ['source starting with a dash', { source: '-pms' }, 'source: must start with a letter or digit'],
    ['source too long', { source: 'a'.repeat(65) }, 'source: must be at most 64 characters'],
    ['externalId missing', { externalId: undefined }, 'externalId: is required'],
    ['externalId empty', { externalId: '' }, 'externalId: must not be empty'],
    ['externalId too long', { externalId: 'x'.repeat(256) }, 'externalId: must be at most 255 characters'],
    ['externalId with a newline', { externalId: 'a\nb' }, 'externalId: must not contain control characters'],
    ['externalId a number', { externalId: 12 }, 'externalId: must be a string, got a number'],
    ['resource missing', { resource: undefined }, 'resource: is required'],
    ['resource empty', { resource: '' }, 'resource: must not be empty'],
    ['resource too long', { resource: 'r'.repeat(101) }, 'resource: must be at most 100 characters'],
    ['start missing', { start: undefined }, 'start: is required'],
    ['start in words', { start: 'tomorrow' }, 'start: must be an ISO 8601 date-time with an offset or Z'],
    [
      'start without offset',
      { start: '2026-12-01T15:00:00' },
      'start: must be an ISO 8601 date-time with an offset',
    ],
    [
      'start not a real date',
      { start: '2026-02-30' },
      'start: must be an ISO 8601 date-time with an offset or Z (e.g. 2026-12-01T15:00:00+01:00) or a date (e.g. 2026-12-01); this one is not a real date or time',
    ],
    ['start at hour 25', { start: '2026-12-01T25:00:00Z' }, 'not a real date or time'],
    ['start as epoch number', { start: 1764597600000 }, 'start: must be a string, got a number'],
    ['end missing', { end: undefined }, 'end: is required'],
    ['end in US format', { end: '12/04/2026' }, 'end: must be an ISO 8601 date-time'],
    ['end before start (dates)', { start: '2026-12-04', end: '2026-12-01' }, 'end: must not be before start'],
    [
      'end equal to start (times)',
      { start: '2026-12-01T15:00:00Z', end: '2026-12-01T16:00:00+01:00' },
      'end: must be after start',
    ],
    ['status missing', { status: undefined }, 'status: is required'],
    ['status unknown', { status: 'booked' }, `status: must be 'confirmed' or 'cancelled'`],
    ['status a number', { status: 1 }, `status: must be 'confirmed' or 'cancelled', got a number`],
    ['guest not an object', { guest: 'Anna' }, 'guest: must be an object, got a string'],
    [
      'guest name too long',
      { guest: { name: 'n'.repeat(201) } },
      'guest.name: must be at most 200 characters',
    ],
    ['guest name a number', { guest: { name: 5 } }, 'guest.name: must be a string, got a number'],
    [
      'guest phone without +',
      { guest: { phone: '0701234567' } },
      'guest.phone: must be E.164, e.g. +46701234567',
    ],
    ['guest phone with letters', { guest: { phone: '+46 70 CALL ME' } }, 'guest.phone: must be E.164'],
    ['guest phone country code 0', { guest: { phone: '+0701234567' } }, 'guest.phone: must be E.164'],
    ['guest phone too short', { guest: { phone: '+461234' } }, 'guest.phone: must be E.164'],
    ['guest phone too long', { guest: { phone: '+4670123456789012' } }, 'guest.phone: must be E.164'],
    [
      'guest phone a number',
      { guest: { phone: 46701234567 } },
      'guest.phone: must be a string, got a number',
    ],
    [
      'guest email malformed',
      { guest: { email: 'anna(at)example.se' } },
      'guest.email: must be an e-mail address',
    ],
    [
      'pin as a number',
      { pin: 1234 },
      'pin: must be a string of 4–7 digits, got a number: send it as a string',
    ],
    ['pin too short', { pin: '123' }, 'pin: must be 4–7 digits'],
    ['pin too long', { pin: '12345678' }, 'pin: must be 4–7 digits'],
    ['pin with a letter', { pin: '12a4' }, 'pin: must be 4–7 digits'],
    ['revision negative', { revision: -1 }, 'revision: must be a non-negative integer'],
    ['revision fractional', { revision: 1.5 }, 'revision: must be a non-negative integer'],
    ['revision as a string', { revision: '5' }, 'revision: must be a non-negative integer, got a string'],
    ['revision beyond 2^53', { revision: 2 ** 53 }, 'revision: must be a non-negative integer'],
  ];

  it.each(cases)('%s', (_title, change, expected) => {
    const errors = errorsOf({ ...valid, ...change });
    expect(errors.some((line) => line.startsWith(expected) || line.includes(expected))).toBe(true);
    // Exactly one problem was introduced, so exactly one line reports it.
    expect(errors).toHaveLength(1);
  });

  it('names the allowed statuses without echoing the value given (it may be anything, a PIN too)', () => {
    expect(errorsOf({ ...valid, status: 'booked-4711' })).toEqual([
      "status: must be 'confirmed' or 'cancelled'",
    ]);
  });

  it('lists every problem of an event at once', () => {
    const errors = errorsOf({ source: '', externalId: '', resource: 1, start: 'x', end: 'y', status: 'z' });
    expect(errors.map((line) => line.split(':')[0])).toEqual([
      'source',
      'externalId',
      'resource',
      'start',
      'end',
      'status',
    ]);
  });

  it('rejects something that is not an object', () => {
    expect(errorsOf('hello')).toEqual(['(top level): must be an object (a BookingEvent), got a string']);
    expect(errorsOf(null)).toEqual(['(top level): must be an object (a BookingEvent), got null']);
    expect(errorsOf([valid])).toEqual(['(top level): must be an object (a BookingEvent), got an array']);
  });

  it('never echoes a PIN or a phone number in a message', () => {
    const errors = errorsOf({ ...valid, pin: '98765432', guest: { phone: '+46 555 x' } });
    expect(errors).toHaveLength(2);
    for (const line of errors) {
      expect(line).not.toContain('98765432');
      expect(line).not.toContain('555');
    }
  });
});

describe('phone normalisation', () => {
  it.each([
    ['+46701234567', '+46701234567'],
    ['+46 70 123 45 67', '+46701234567'],
    ['+46-70-123-45-67', '+46701234567'],
    ['+46 (0)70 123 45 67', '+46701234567'],
    ['+1 (555) 123.4567', '+15551234567'],
    ['  +44 20 7946 0958 ', '+442079460958'],
    ['+46\u00a070\u00a0123\u00a045\u00a067', '+46701234567'],
  ])('%s → %s', (raw, expected) => {
    expect(eventOf({ ...valid, guest: { phone: raw } }).guest?.phone).toBe(expected);
    expect(normalisePhone(raw)).toBe(expected);
  });
});

describe('helpers', () => {
  it('bookingKey is <source>/<externalId>', () => {
    expect(bookingKey({ source: 'airbnb', externalId: 'HM/1' })).toBe('airbnb/HM/1');
  });

  it('isDateOnly tells a date from a date-time', () => {
    expect(isDateOnly('2026-12-01')).toBe(true);
    expect(isDateOnly('2026-12-01T00:00:00Z')).toBe(false);
  });

  it('formatIssuePath writes dotted paths, indexes and quotes awkward keys', () => {
    expect(formatIssuePath(['resources', 'room-101', 'units', 0, 'action'])).toBe(
      'resources.room-101.units[0].action',
    );
    expect(formatIssuePath(['resources', 'room 101', 'timeZone'])).toBe('resources["room 101"].timeZone');
    expect(formatIssuePath(['a.b'])).toBe('["a.b"]');
    expect(formatIssuePath([])).toBe('(top level)');
  });

  it('formatZodIssues spells a missing value as "is required" and unknown keys one per line', () => {
    const strict = bookingEventV1Schema.safeParse({});
    expect(strict.success).toBe(false);
    if (!strict.success) expect(formatZodIssues(strict.error)[0]).toBe('source: is required');
    const lines = formatZodIssues({
      issues: [
        {
          code: 'unrecognized_keys',
          keys: ['a', 'b'],
          path: ['x'],
          message: 'Unrecognized keys: "a", "b"',
          input: {},
        },
        {
          code: 'invalid_type',
          expected: 'string',
          path: ['y'],
          message: 'Invalid input: expected string, received undefined',
          input: undefined,
        },
      ],
    });
    expect(lines).toEqual(['x.a: unknown key', 'x.b: unknown key', 'y: is required']);
  });
});
