import type { StoredBooking } from '../../../src/domain';
import {
  changedEntryFields,
  type DesiredBooking,
  type DesiredEntry,
  diffBooking,
  SYNCED_ENTRY_FIELDS,
} from '../../../src/planner';

const entry = (unitId: number, overrides: Partial<DesiredEntry> = {}): DesiredEntry => ({
  unitId,
  idNumber: '+46701234567',
  action: 'R1',
  name: 'Anna',
  description: 'fs:HM1',
  codeTag: '482917',
  validFromIso: '2026-12-01T15:00:00+01:00',
  validToIso: '2026-12-04T11:00:00+01:00',
  ...overrides,
});

const desired = (entries: DesiredEntry[], extra: Partial<DesiredBooking> = {}): DesiredBooking => ({
  key: 'a/HM1',
  source: 'a',
  externalId: 'HM1',
  resource: 'r',
  pin: '482917',
  validFromIso: '2026-12-01T15:00:00+01:00',
  validToIso: '2026-12-04T11:00:00+01:00',
  entries,
  ...extra,
});

const stored = (entries: DesiredEntry[], extra: Partial<StoredBooking> = {}): StoredBooking => ({
  key: 'a/HM1',
  source: 'a',
  externalId: 'HM1',
  resource: 'r',
  status: 'confirmed',
  pin: '482917',
  validFromIso: '2026-12-01T15:00:00+01:00',
  validToIso: '2026-12-04T11:00:00+01:00',
  entries: entries.map((e) => ({ ...e, entryId: e.unitId * 10 })),
  updatedIso: '2026-11-01T00:00:00Z',
  ...extra,
});

const flexy = {
  bookingObjectId: 812,
  startIso: '2026-12-01T15:00:00+01:00',
  endIso: '2026-12-04T11:00:00+01:00',
};

describe('diffBooking', () => {
  it('creates everything when nothing exists', () => {
    const want = desired([entry(2), entry(1)], {
      flexyBooking: { ...flexy, name: 'Anna', externalRef: 'a/HM1' },
    });
    expect(
      diffBooking(want, undefined).map((op) => op.kind + ('unitId' in op ? `:${op.unitId}` : '')),
    ).toEqual(['entry.create:1', 'entry.create:2', 'flexyBooking.create']);
  });

  it('does nothing when what exists is what is wanted', () => {
    expect(diffBooking(desired([entry(1), entry(2)]), stored([entry(1), entry(2)]))).toEqual([]);
  });

  it('deletes everything when nothing is wanted, with the given reason', () => {
    const ops = diffBooking(null, stored([entry(1)], { flexyBooking: { ...flexy, bookingId: 5 } }), {
      deleteReason: 'expired',
    });
    expect(ops).toEqual([
      {
        kind: 'entry.delete',
        unitId: 1,
        entryId: 10,
        previous: expect.objectContaining({ unitId: 1 }),
        reason: 'expired',
      },
      { kind: 'flexyBooking.delete', bookingId: 5, previous: { ...flexy, bookingId: 5 }, reason: 'expired' },
    ]);
    expect(diffBooking(null, stored([entry(1)]))[0]).toMatchObject({ reason: 'not-wanted' });
    const kept = diffBooking(null, stored([entry(1)], { flexyBooking: { ...flexy, bookingId: 5 } }), {
      keepFlexyBooking: true,
    });
    expect(kept.map((op) => op.kind)).toEqual(['entry.delete']);
  });

  it('orders deletes, then updates, then creates', () => {
    const ops = diffBooking(desired([entry(3), entry(2, { name: 'B' })]), stored([entry(1), entry(2)]));
    expect(ops.map((op) => op.kind)).toEqual(['entry.delete', 'entry.update', 'entry.create']);
  });

  it.each(SYNCED_ENTRY_FIELDS.filter((field) => field !== 'validFromIso' && field !== 'validToIso'))(
    'a change of %s needs a sync',
    (field) => {
      const changed = entry(1, { [field]: field === 'codeTag' ? '390517' : 'G7' });
      const [op] = diffBooking(desired([changed]), stored([entry(1)]));
      expect(op).toMatchObject({ kind: 'entry.update', changed: [field], needsSync: true });
    },
  );

  it.each(['validFromIso', 'validToIso'] as const)('a change of %s needs a sync', (field) => {
    const [op] = diffBooking(
      desired([entry(1, { [field]: '2026-12-01T16:00:00+01:00' })]),
      stored([entry(1)]),
    );
    expect(op).toMatchObject({ changed: [field], needsSync: true });
  });

  it.each(['name', 'description'] as const)('a change of %s alone needs no sync', (field) => {
    const [op] = diffBooking(desired([entry(1, { [field]: 'Other' })]), stored([entry(1)]));
    expect(op).toMatchObject({ kind: 'entry.update', changed: [field], needsSync: false });
  });

  it('lists every changed field in a fixed order', () => {
    const changed = entry(1, {
      name: 'X',
      codeTag: '390517',
      idNumber: 'fsabc',
      validToIso: '2026-12-05T11:00:00+01:00',
    });
    expect(changedEntryFields(changed, stored([entry(1)]).entries[0] as never)).toEqual([
      'idNumber',
      'name',
      'codeTag',
      'validToIso',
    ]);
  });

  it('compares times as instants, not spellings', () => {
    const sameInstant = entry(1, {
      validFromIso: '2026-12-01T14:00:00Z',
      validToIso: '2026-12-04T10:00:00.000Z',
    });
    expect(diffBooking(desired([sameInstant]), stored([entry(1)]))).toEqual([]);
  });

  it('clears a recorded calendar (needs a sync), but treats empty and absent alike', () => {
    const recorded = stored([entry(1)]);
    const withCalendar = {
      ...recorded,
      entries: [{ ...recorded.entries[0], codeTagCalendar: 'C1' }],
    } as StoredBooking;
    expect(diffBooking(desired([entry(1)]), withCalendar)[0]).toMatchObject({
      changed: ['codeTagCalendar'],
      needsSync: true,
    });
    const emptyCalendar = {
      ...recorded,
      entries: [{ ...recorded.entries[0], codeTagCalendar: '' }],
    } as StoredBooking;
    expect(diffBooking(desired([entry(1)]), emptyCalendar)).toEqual([]);
  });

  it('carries the recorded entry id, or none when it was never learned', () => {
    const recorded = stored([entry(1)]);
    const noId = { ...recorded, entries: [{ ...entry(1) }] };
    expect(diffBooking(null, recorded)[0]).toHaveProperty('entryId', 10);
    expect(diffBooking(null, noId)[0]).not.toHaveProperty('entryId');
  });

  it('deletes a duplicate record for one unit', () => {
    const recorded = stored([entry(1)]);
    const twice = { ...recorded, entries: [...recorded.entries, { ...entry(1), entryId: 99 }] };
    const ops = diffBooking(desired([entry(1)]), twice);
    expect(ops).toEqual([
      expect.objectContaining({ kind: 'entry.delete', entryId: 99, reason: 'duplicate' }),
    ]);
  });

  it('the FlexyKey booking: deleted and created again when its object or times change, else left alone', () => {
    const want = (overrides = {}) =>
      desired([], { flexyBooking: { ...flexy, name: 'Anna', externalRef: 'a/HM1', ...overrides } });
    const have = stored([], { flexyBooking: { ...flexy, bookingId: 5 } });
    expect(diffBooking(want(), have)).toEqual([]);
    expect(diffBooking(want({ name: 'Else', phone: '+4670' }), have)).toEqual([]);
    expect(diffBooking(want({ startIso: '2026-12-01T14:00:00Z' }), have)).toEqual([]);
    expect(diffBooking(want({ endIso: '2026-12-05T11:00:00+01:00' }), have).map((op) => op.kind)).toEqual([
      'flexyBooking.delete',
      'flexyBooking.create',
    ]);
    expect(diffBooking(want({ bookingObjectId: 813 }), have)[0]).toMatchObject({ reason: 'changed' });
    expect(diffBooking(desired([]), have)).toEqual([
      {
        kind: 'flexyBooking.delete',
        bookingId: 5,
        previous: { ...flexy, bookingId: 5 },
        reason: 'not-wanted',
      },
    ]);
  });

  describe('an entry recorded before its create, whose answer never came (no entry id)', () => {
    const unconfirmed = (overrides: Partial<DesiredEntry> = {}) =>
      stored([], { entries: [{ ...entry(1), ...overrides }] });

    it('still wanted as it is: created again (a 409 then adopts the row if it landed)', () => {
      expect(diffBooking(desired([entry(1)]), unconfirmed())).toEqual([
        { kind: 'entry.create', unitId: 1, entry: entry(1) },
      ]);
      // Another window or code: the create carries what is wanted now (the adoption updates the row).
      const later = entry(1, { validToIso: '2026-12-05T11:00:00+01:00' });
      expect(diffBooking(desired([later]), unconfirmed())).toEqual([
        { kind: 'entry.create', unitId: 1, entry: later },
      ]);
    });

    it('wanted with another idNumber: whatever landed is deleted, the wanted entry created', () => {
      const wanted = entry(1, { idNumber: 'fs7XK2PQ4MA' });
      expect(diffBooking(desired([wanted]), unconfirmed())).toEqual([
        { kind: 'entry.delete', unitId: 1, previous: entry(1), reason: 'unconfirmed' },
        { kind: 'entry.create', unitId: 1, entry: wanted },
      ]);
    });

    it('no longer wanted (cancelled, or moved to another resource): deleted, found by its idNumber', () => {
      expect(diffBooking(null, unconfirmed(), { deleteReason: 'cancelled' })).toEqual([
        { kind: 'entry.delete', unitId: 1, previous: entry(1), reason: 'cancelled' },
      ]);
      expect(diffBooking(desired([entry(2)]), unconfirmed())).toEqual([
        { kind: 'entry.delete', unitId: 1, previous: entry(1), reason: 'unit-removed' },
        { kind: 'entry.create', unitId: 2, entry: entry(2) },
      ]);
    });

    it('recorded beside the entry it replaces (a retry’s write-ahead): the wanted one is kept, the other deleted', () => {
      const old = entry(1);
      const wanted = entry(1, { idNumber: 'fs7XK2PQ4MA' });
      // As a write-ahead that stopped before its delete left them: the old entry, then the wanted one.
      const both = stored([], { entries: [{ ...old }, { ...wanted }] });
      expect(diffBooking(desired([wanted]), both)).toEqual([
        { kind: 'entry.delete', unitId: 1, previous: old, reason: 'unconfirmed' },
        { kind: 'entry.create', unitId: 1, entry: wanted },
      ]);
    });

    it('a FlexyKey booking without its id: created again when wanted (the create looks for it first), else deleted', () => {
      const want = desired([], { flexyBooking: { ...flexy, name: 'Anna', externalRef: 'a/HM1' } });
      const have = stored([], { flexyBooking: { ...flexy } });
      expect(diffBooking(want, have).map((op) => op.kind)).toEqual(['flexyBooking.create']);
      expect(diffBooking(null, have)).toEqual([
        { kind: 'flexyBooking.delete', previous: flexy, reason: 'not-wanted' },
      ]);
    });
  });
});
