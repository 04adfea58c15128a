import { formatZodIssues, storedBookingSchema } from '../../../src/domain';

const record = {
  key: 'airbnb/HM1',
  source: 'airbnb',
  externalId: 'HM1',
  revision: 3,
  resource: 'flat-3b',
  status: 'confirmed',
  pin: '048213',
  validFromIso: '2026-12-01T14:30:00+01:00',
  validToIso: '2026-12-04T11:15:00+01:00',
  entries: [
    {
      unitId: 3023,
      entryId: 901,
      idNumber: '+46701234567',
      action: 'G13',
      name: 'Anna Svensson',
      description: 'fs:HM1',
      codeTag: '048213',
      validFromIso: '2026-12-01T14:30:00+01:00',
      validToIso: '2026-12-04T11:15:00+01:00',
    },
  ],
  flexyBooking: {
    bookingId: 'b-77',
    bookingObjectId: 812,
    startIso: '2026-12-01T15:00:00+01:00',
    endIso: '2026-12-04T11:00:00+01:00',
  },
  updatedIso: '2026-11-20T10:00:00Z',
};

describe('StoredBooking', () => {
  it('parses what the applier records', () => {
    expect(storedBookingSchema.parse(record)).toEqual(record);
  });

  it('accepts a record kept only for its revision (a first event that was a cancellation)', () => {
    const minimal = {
      key: 'a/1',
      source: 'a',
      externalId: '1',
      revision: 5,
      resource: 'r',
      status: 'cancelled',
      entries: [],
      updatedIso: '2026-11-20T10:00:00Z',
    };
    expect(storedBookingSchema.parse(minimal)).toEqual(minimal);
  });

  it('keeps the enqueue order of the last applied event', () => {
    const withOrder = { ...record, lastEvent: { at: 1_764_000_000_000, jobId: '42' } };
    expect(storedBookingSchema.parse(withOrder).lastEvent).toEqual({ at: 1_764_000_000_000, jobId: '42' });
  });

  it('accepts entries whose server id was never learned', () => {
    const entry = { ...record.entries[0], entryId: undefined };
    expect(storedBookingSchema.parse({ ...record, entries: [entry] }).entries[0]?.entryId).toBeUndefined();
  });

  it.each([
    ['an idNumber over 20', { entries: [{ ...record.entries[0], idNumber: 'x'.repeat(21) }] }],
    ['a name over 25', { entries: [{ ...record.entries[0], name: 'n'.repeat(26) }] }],
    ['a non-digit codeTag', { entries: [{ ...record.entries[0], codeTag: '12ab' }] }],
    ['an unknown status', { status: 'pending' }],
    ['no key', { key: undefined }],
  ])('rejects %s', (_title, change) => {
    expect(storedBookingSchema.safeParse({ ...record, ...change }).success).toBe(false);
  });
});

describe('formatZodIssues on alternatives', () => {
  it('names the accepted types when every alternative failed on its type', () => {
    const result = storedBookingSchema.safeParse({
      ...record,
      entries: [{ ...record.entries[0], entryId: true }],
    });
    expect(result.success).toBe(false);
    if (!result.success)
      expect(formatZodIssues(result.error)).toEqual(['entries[0].entryId: must be number or string']);
  });

  it('reports the deepest alternative otherwise', () => {
    const result = storedBookingSchema.safeParse({
      ...record,
      entries: [{ ...record.entries[0], entryId: '' }],
    });
    expect(result.success).toBe(false);
    if (!result.success)
      expect(formatZodIssues(result.error)).toEqual([expect.stringMatching(/^entries\[0\]\.entryId: /)]);
  });
});
