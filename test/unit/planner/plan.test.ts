import { DateTime } from 'luxon';
import { MAX_PIN_DRAWS, redactPlan, syntheticIdNumber } from '../../../src/planner';
import {
  desiredOf,
  event,
  inUse,
  plan,
  planned,
  recordOf,
  rejected,
  resource,
  scripted,
  usage,
} from './fixtures';

const twoUnits = resource({
  units: [
    { unitId: 3023, action: 'R1' },
    { unitId: 3024, action: 'G13' },
  ],
});

describe('a new booking', () => {
  it('wants one entry per unit with the same PIN, window, name and description', () => {
    const result = planned({ resource: twoUnits });
    expect(result.desired).toEqual({
      key: 'airbnb/HM4T9XK2PQ',
      source: 'airbnb',
      externalId: 'HM4T9XK2PQ',
      resource: 'flat-3b',
      pin: '482917',
      validFromIso: '2026-12-01T15:00:00+01:00',
      validToIso: '2026-12-04T11:00:00+01:00',
      entries: [
        {
          unitId: 3023,
          idNumber: '+46701234567',
          action: 'R1',
          name: 'Anna Svensson',
          description: 'fs:HM4T9XK2PQ',
          codeTag: '482917',
          validFromIso: '2026-12-01T15:00:00+01:00',
          validToIso: '2026-12-04T11:00:00+01:00',
        },
        {
          unitId: 3024,
          idNumber: '+46701234567',
          action: 'G13',
          name: 'Anna Svensson',
          description: 'fs:HM4T9XK2PQ',
          codeTag: '482917',
          validFromIso: '2026-12-01T15:00:00+01:00',
          validToIso: '2026-12-04T11:00:00+01:00',
        },
      ],
    });
    expect(result.operations.map((op) => [op.kind, 'unitId' in op ? op.unitId : null])).toEqual([
      ['entry.create', 3023],
      ['entry.create', 3024],
    ]);
    expect(result.notes).toEqual([]);
  });

  it('carries the revision into what it wants', () => {
    expect(desiredOf({ event: event({ revision: 4 }) }).revision).toBe(4);
  });

  it('wants a FlexyKey booking when the resource has a booking object', () => {
    const result = planned({ resource: resource({ bookingObjectId: 812 }) });
    expect(result.desired?.flexyBooking).toEqual({
      bookingObjectId: 812,
      startIso: '2026-12-01T15:00:00+01:00',
      endIso: '2026-12-04T11:00:00+01:00',
      name: 'Anna Svensson',
      phone: '+46701234567',
      externalRef: 'airbnb/HM4T9XK2PQ',
    });
    expect(result.operations.map((op) => op.kind)).toEqual(['entry.create', 'flexyBooking.create']);
  });

  it('a booking-object-only resource wants no entries, just the FlexyKey booking', () => {
    const result = planned({
      resource: resource({ units: [], bookingObjectId: 9 }),
      event: event({ guest: undefined }),
    });
    expect(result.desired?.entries).toEqual([]);
    expect(result.desired?.flexyBooking).not.toHaveProperty('phone');
    expect(result.operations.map((op) => op.kind)).toEqual(['flexyBooking.create']);
  });

  it('rejects an unknown resource', () => {
    expect(rejected({ resource: undefined }).reasons).toEqual([
      "resource: 'flat-3b' is not a resource in the configuration",
    ]);
  });

  it('refuses a previous record of another booking (a caller bug)', () => {
    const other = recordOf(desiredOf(), { key: 'other/1' });
    expect(() => plan({ previous: other })).toThrow('does not belong to booking airbnb/HM4T9XK2PQ');
  });
});

describe('names and descriptions', () => {
  it('never fails a booking for a long or emoji-laden name', () => {
    const name = `${'👩‍👩‍👧‍👦'.repeat(3)} Maximiliane Alexandra von Habsburg-Lothringen`;
    const entry = desiredOf({ event: event({ guest: { name } }) }).entries[0];
    expect(entry?.name.length).toBeLessThanOrEqual(25);
    expect(entry?.name).toBe('👩‍👩‍👧‍👦👩‍👩‍👧‍👦');
    expect(() => encodeURIComponent(entry?.name ?? '')).not.toThrow();
  });

  it('uses the booking ref when there is no guest name', () => {
    expect(desiredOf({ event: event({ guest: undefined }) }).entries[0]?.name).toBe('HM4T9XK2PQ');
  });

  it('a long externalId gives a 25-character description with the tag', () => {
    const externalId = 'https://calendar.example.com/event/0a9d8e7f6c5b4a39';
    const description = desiredOf({ event: event({ externalId }) }).entries[0]?.description ?? '';
    expect(description).toHaveLength(25);
    expect(description.startsWith('fs:https://calenda')).toBe(true);
  });
});

describe('cancelled and expired bookings', () => {
  it('a cancelled booking wants nothing and deletes what exists, the FlexyKey booking included', () => {
    const previous = recordOf(desiredOf({ resource: resource({ ...twoUnits, bookingObjectId: 812 }) }));
    const result = planned({ event: event({ status: 'cancelled' }), previous });
    expect(result.desired).toBeNull();
    expect(result.operations).toEqual([
      {
        kind: 'entry.delete',
        unitId: 3023,
        entryId: 1000,
        previous: previous.entries[0],
        reason: 'cancelled',
      },
      {
        kind: 'entry.delete',
        unitId: 3024,
        entryId: 1001,
        previous: previous.entries[1],
        reason: 'cancelled',
      },
      { kind: 'flexyBooking.delete', bookingId: 'b-1', previous: previous.flexyBooking, reason: 'cancelled' },
    ]);
  });

  it('a cancellation needs no known resource and no valid window', () => {
    const previous = recordOf(desiredOf());
    const result = planned({
      event: event({ status: 'cancelled', start: '2026-12-04', end: '2026-12-01' }),
      resource: undefined,
      previous,
    });
    expect(result.operations.map((op) => op.kind)).toEqual(['entry.delete']);
  });

  it('a cancellation of a booking never applied does nothing', () => {
    expect(planned({ event: event({ status: 'cancelled' }) }).operations).toEqual([]);
  });

  it('a booking whose validTo has passed wants nothing, and its entries go', () => {
    const previous = recordOf(desiredOf());
    const at = DateTime.fromISO('2026-12-04T11:00:00+01:00');
    const result = planned({ previous, now: at });
    expect(result.desired).toBeNull();
    expect(result.operations).toEqual([
      { kind: 'entry.delete', unitId: 3023, entryId: 1000, previous: previous.entries[0], reason: 'expired' },
    ]);
    expect(result.notes).toEqual([
      "the booking's access ended at 2026-12-04T11:00:00+01:00; nothing is wanted",
    ]);
    expect(planned({ previous, now: at.minus({ seconds: 1 }) }).desired).not.toBeNull();
  });

  it('an expired booking keeps its FlexyKey booking as history (it grants nothing any more)', () => {
    const withObject = resource({ bookingObjectId: 812 });
    const previous = recordOf(desiredOf({ resource: withObject }));
    const result = planned({ resource: withObject, previous, now: DateTime.fromISO('2026-12-05T00:00:00Z') });
    expect(result.operations.map((op) => op.kind)).toEqual(['entry.delete']);
  });

  it('an expired booking never seen before plans nothing and draws no PIN', () => {
    const random = scripted(482_917);
    const result = planned({ now: DateTime.fromISO('2027-01-01T00:00:00Z'), randomInt: random });
    expect(result).toMatchObject({ desired: null, operations: [] });
    expect(random.calls).toBe(0);
  });
});

describe('revisions', () => {
  const previous = () => recordOf(desiredOf({ event: event({ revision: 5 }) }));

  it('skips a lower revision than the applied one', () => {
    expect(plan({ event: event({ revision: 4 }), previous: previous() })).toEqual({
      kind: 'skipped',
      key: 'airbnb/HM4T9XK2PQ',
      reason: 'revision 4 is older than the applied revision 5',
    });
  });

  it('skips even a stale cancellation', () => {
    expect(plan({ event: event({ revision: 1, status: 'cancelled' }), previous: previous() }).kind).toBe(
      'skipped',
    );
  });

  it('re-applies an equal revision idempotently: nothing to do', () => {
    expect(planned({ event: event({ revision: 5 }), previous: previous() }).operations).toEqual([]);
  });

  it('applies a higher revision and an event without revision', () => {
    const moved = { start: '2026-12-02', end: '2026-12-05' };
    expect(
      planned({ event: event({ revision: 6, ...moved }), previous: previous() }).operations,
    ).toHaveLength(1);
    expect(planned({ event: event(moved), previous: previous() }).operations).toHaveLength(1);
  });
});

describe('retries and changes keep what they can', () => {
  it('a retry of the same event plans nothing and draws nothing', () => {
    const previous = recordOf(desiredOf({ resource: twoUnits }));
    const random = scripted(390_517);
    const result = planned({ resource: twoUnits, previous, randomInt: random });
    expect(result.operations).toEqual([]);
    expect(result.desired?.pin).toBe('482917');
    expect(random.calls).toBe(0);
  });

  it('a moved booking keeps its PIN; the update needs a sync', () => {
    const previous = recordOf(desiredOf());
    const result = planned({
      event: event({ start: '2026-12-10', end: '2026-12-12' }),
      previous,
      randomInt: scripted(390_517),
    });
    expect(result.desired?.pin).toBe('482917');
    expect(result.operations).toEqual([
      expect.objectContaining({
        kind: 'entry.update',
        unitId: 3023,
        entryId: 1000,
        changed: ['validFromIso', 'validToIso'],
        needsSync: true,
      }),
    ]);
  });

  it('a name-only change is an update that needs no unit sync', () => {
    const previous = recordOf(desiredOf());
    const result = planned({
      event: event({ guest: { name: 'Anna S. Berg', phone: '+46701234567' } }),
      previous,
    });
    expect(result.operations).toEqual([
      expect.objectContaining({ kind: 'entry.update', changed: ['name'], needsSync: false }),
    ]);
  });

  it('a changed phone changes the idNumber (synced field)', () => {
    const previous = recordOf(desiredOf());
    const result = planned({
      event: event({ guest: { name: 'Anna Svensson', phone: '+46709999999' } }),
      previous,
    });
    expect(result.operations).toEqual([
      expect.objectContaining({ kind: 'entry.update', changed: ['idNumber'], needsSync: true }),
    ]);
  });

  it('a resource change deletes on the old units and creates on the new, keeping the PIN', () => {
    const previous = recordOf(desiredOf({ resource: twoUnits }));
    const target = resource({ key: 'flat-4c', units: [{ unitId: 4001, action: 'R1' }] });
    const result = planned({ event: event({ resource: 'flat-4c' }), resource: target, previous });
    expect(result.desired?.pin).toBe('482917');
    expect(result.desired?.resource).toBe('flat-4c');
    expect(
      result.operations.map((op) => [
        op.kind,
        'unitId' in op ? op.unitId : null,
        'reason' in op ? op.reason : null,
      ]),
    ).toEqual([
      ['entry.delete', 3023, 'unit-removed'],
      ['entry.delete', 3024, 'unit-removed'],
      ['entry.create', 4001, null],
    ]);
  });

  it('a resource change onto a shared unit updates that unit in place', () => {
    const previous = recordOf(desiredOf({ resource: twoUnits }));
    const target = resource({
      key: 'flat-4c',
      units: [
        { unitId: 3023, action: 'G14' },
        { unitId: 4001, action: 'R1' },
      ],
    });
    const result = planned({ event: event({ resource: 'flat-4c' }), resource: target, previous });
    expect(result.operations.map((op) => op.kind)).toEqual(['entry.delete', 'entry.update', 'entry.create']);
    expect(result.operations[1]).toMatchObject({ unitId: 3023, changed: ['action'], needsSync: true });
  });

  it('a unit removed from the configuration is deleted', () => {
    const previous = recordOf(desiredOf({ resource: twoUnits }));
    const result = planned({ previous });
    expect(result.operations).toEqual([
      expect.objectContaining({ kind: 'entry.delete', unitId: 3024, reason: 'unit-removed' }),
    ]);
  });

  it('a moved booking with a booking object recreates the FlexyKey booking (no update API)', () => {
    const withObject = resource({ bookingObjectId: 812 });
    const previous = recordOf(desiredOf({ resource: withObject }));
    const result = planned({
      resource: withObject,
      previous,
      event: event({ start: '2026-12-02', end: '2026-12-05' }),
    });
    expect(result.operations.map((op) => op.kind)).toEqual([
      'flexyBooking.delete',
      'entry.update',
      'flexyBooking.create',
    ]);
    expect(result.operations[0]).toMatchObject({ reason: 'changed', bookingId: 'b-1' });
  });

  it('a name change leaves the FlexyKey booking alone', () => {
    const withObject = resource({ bookingObjectId: 812 });
    const previous = recordOf(desiredOf({ resource: withObject }));
    const result = planned({
      resource: withObject,
      previous,
      event: event({ guest: { name: 'Other Name' } }),
    });
    expect(result.operations.map((op) => op.kind)).toEqual(['entry.update']);
  });

  it('a re-confirmed booking (after a cancellation) gets its old PIN back', () => {
    const previous = { ...recordOf(desiredOf()), status: 'cancelled' as const, entries: [] };
    const result = planned({ previous, randomInt: scripted(390_517) });
    expect(result.desired?.pin).toBe('482917');
    expect(result.operations.map((op) => op.kind)).toEqual(['entry.create']);
  });
});

describe('PIN uniqueness and stability', () => {
  it('draws past codes used on any unit of the booking', () => {
    const random = scripted(482_917, 390_517, 804_213);
    const result = planned({
      resource: twoUnits,
      unitsInUse: inUse({ 3023: usage(['482917']), 3024: usage(['390517']) }),
      randomInt: random,
    });
    expect(result.desired?.pin).toBe('804213');
    expect(random.calls).toBe(3);
  });

  it('codes on units the booking does not touch do not matter', () => {
    expect(desiredOf({ unitsInUse: inUse({ 9999: usage(['482917']) }) }).pin).toBe('482917');
  });

  it('rejects after a bounded number of draws', () => {
    const random = scripted(111_111);
    expect(rejected({ randomInt: random }).reasons).toEqual([
      `pin: no 6-digit PIN that is not trivial and not in use on unit 3023 after ${MAX_PIN_DRAWS} draws`,
    ]);
    expect(random.calls).toBe(MAX_PIN_DRAWS);
  });

  it('uses the policy length', () => {
    expect(
      desiredOf({ resource: resource({ pin: { length: 4, source: 'random' } }), randomInt: scripted(47) })
        .pin,
    ).toBe('0047');
  });

  it('re-draws a kept PIN that collides on a newly added unit before validFrom, saying so', () => {
    const previous = recordOf(desiredOf());
    const result = planned({
      resource: twoUnits,
      previous,
      unitsInUse: inUse({ 3024: usage(['482917']) }),
      randomInt: scripted(390_517),
    });
    expect(result.desired?.pin).toBe('390517');
    expect(result.notes).toEqual([
      "the booking's PIN was in use on newly added unit 3024; drew a new one (before validFrom)",
    ]);
    expect(result.operations).toEqual([
      expect.objectContaining({ kind: 'entry.update', unitId: 3023, changed: ['codeTag'], needsSync: true }),
      expect.objectContaining({ kind: 'entry.create', unitId: 3024 }),
    ]);
  });

  it('never changes a PIN after validFrom: a collision on a new unit is rejected instead', () => {
    const previous = recordOf(desiredOf());
    const during = DateTime.fromISO('2026-12-02T12:00:00+01:00');
    const result = rejected({
      resource: twoUnits,
      previous,
      unitsInUse: inUse({ 3024: usage(['482917']) }),
      now: during,
    });
    expect(result.reasons).toEqual([
      "pin: the booking's PIN is already in use on newly added unit 3024, and a PIN is never changed after validFrom; free it there or remove the unit",
    ]);
  });

  it('the lock also holds when the booking is moved later but the old validFrom has passed', () => {
    const previous = recordOf(desiredOf());
    const result = rejected({
      resource: twoUnits,
      previous,
      event: event({ start: '2026-12-20', end: '2026-12-22' }),
      unitsInUse: inUse({ 3024: usage(['482917']) }),
      now: DateTime.fromISO('2026-12-02T12:00:00+01:00'),
    });
    expect(result.reasons[0]).toContain('never changed after validFrom');
  });

  it('a kept PIN that another entry now shares on an existing unit is kept (ours was there first), with a note', () => {
    const previous = recordOf(desiredOf());
    const result = planned({ previous, unitsInUse: inUse({ 3023: usage(['482917']) }) });
    expect(result.desired?.pin).toBe('482917');
    expect(result.operations).toEqual([]);
    expect(result.notes[0]).toContain('another entry on unit 3023 has the same PIN');
  });

  it('a new booking that starts in the past simply draws a free code', () => {
    const result = planned({
      now: DateTime.fromISO('2026-12-02T00:00:00Z'),
      unitsInUse: inUse({ 3023: usage(['482917']) }),
      randomInt: scripted(482_917, 390_517),
    });
    expect(result.desired?.pin).toBe('390517');
  });
});

describe('PIN supplied by the booking (pin.source booking)', () => {
  const fromBooking = resource({ pin: { length: 6, source: 'booking' } });

  it('uses a good supplied PIN, whatever its length within 4–7', () => {
    expect(desiredOf({ resource: fromBooking, event: event({ pin: '0471' }) }).pin).toBe('0471');
  });

  it('rejects a trivial one rather than replacing it', () => {
    expect(rejected({ resource: fromBooking, event: event({ pin: '1234' }) }).reasons).toEqual([
      'pin: the PIN supplied by the booking is too easy to guess (an ascending run)',
    ]);
  });

  it('rejects one already used on a unit of the booking', () => {
    const result = rejected({
      resource: { ...fromBooking, units: twoUnits.units },
      event: event({ pin: '0471' }),
      unitsInUse: inUse({ 3024: usage(['0471']) }),
    });
    expect(result.reasons).toEqual([
      'pin: the PIN supplied by the booking is already in use on unit 3024; supply another',
    ]);
  });

  it('never puts the PIN in a reason', () => {
    const result = rejected({ resource: fromBooking, event: event({ pin: '2580' }) });
    expect(result.reasons.join(' ')).not.toContain('2580');
  });

  it('follows a PIN changed by the booking system, noting it after validFrom', () => {
    const previous = recordOf(desiredOf({ resource: fromBooking, event: event({ pin: '0471' }) }));
    const result = planned({
      resource: fromBooking,
      previous,
      event: event({ pin: '5082' }),
      now: DateTime.fromISO('2026-12-02T00:00:00Z'),
    });
    expect(result.desired?.pin).toBe('5082');
    expect(result.notes).toEqual(['the booking system changed the PIN after validFrom']);
  });

  it('an unchanged supplied PIN is only checked on newly added units', () => {
    const previous = recordOf(desiredOf({ resource: fromBooking, event: event({ pin: '0471' }) }));
    const result = planned({
      resource: fromBooking,
      previous,
      event: event({ pin: '0471' }),
      unitsInUse: inUse({ 3023: usage(['0471']) }),
    });
    expect(result.operations).toEqual([]);
  });

  it('falls back to a random PIN when the event has none, saying so', () => {
    const result = planned({ resource: fromBooking });
    expect(result.desired?.pin).toBe('482917');
    expect(result.notes).toEqual(['pin.source is booking but the event has no pin; drew a random PIN']);
  });

  it('ignores the event pin when the resource draws its own, saying so', () => {
    const result = planned({ event: event({ pin: '0471' }) });
    expect(result.desired?.pin).toBe('482917');
    expect(result.notes).toEqual(["the event's pin is ignored: resource pin.source is 'random'"]);
  });
});

describe('PIN from the guest phone (pin.source phone)', () => {
  const fromPhone = resource({ pin: { length: 6, source: 'phone' } });

  it('uses the last digits of the phone', () => {
    const result = planned({ resource: fromPhone, event: event({ guest: { phone: '+46705093817' } }) });
    expect(result.desired?.pin).toBe('093817');
    expect(result.notes).toEqual([]);
  });

  it('draws a random one when the last digits are trivial', () => {
    const result = planned({ resource: fromPhone }); // +46701234567 → 234567, an ascending run
    expect(result.desired?.pin).toBe('482917');
    expect(result.notes).toEqual([
      'the last 6 digits of the guest phone are too easy to guess (an ascending run); drew a random PIN',
    ]);
  });

  it('draws a random one when the last digits are in use', () => {
    const result = planned({
      resource: fromPhone,
      event: event({ guest: { phone: '+46705093817' } }),
      unitsInUse: inUse({ 3023: usage(['093817']) }),
    });
    expect(result.desired?.pin).toBe('482917');
    expect(result.notes[0]).toContain('are in use on unit 3023; drew a random PIN');
  });

  it('draws a random one when there is no phone', () => {
    const result = planned({ resource: fromPhone, event: event({ guest: { name: 'Anna' } }) });
    expect(result.desired?.pin).toBe('482917');
    expect(result.notes).toEqual([
      'pin.source is phone but the booking has no guest phone; drew a random PIN',
    ]);
  });
});

describe('idNumber on the units', () => {
  it('the same phone with two overlapping bookings on one unit: the second gets a synthetic id and its own PIN', () => {
    const first = desiredOf({ event: event({ externalId: 'A' }) });
    const second = planned({
      event: event({ externalId: 'B' }),
      unitsInUse: inUse({ 3023: usage([first.pin], ['+46701234567']) }),
      randomInt: scripted(482_917, 390_517),
    });
    const entry = second.desired?.entries[0];
    expect(entry?.idNumber).toBe(syntheticIdNumber('fs', 'airbnb/B'));
    expect(entry?.codeTag).toBe('390517');
    expect(second.notes).toEqual([
      'unit 3023: the guest phone is already the idNumber of another entry on this unit; using a synthetic idNumber (access by PIN)',
    ]);
  });

  it('decides per unit: phone where free, synthetic where taken', () => {
    const desired = desiredOf({
      resource: twoUnits,
      unitsInUse: inUse({ 3024: usage([], ['+46701234567']) }),
    });
    expect(desired.entries.map((entry) => entry.idNumber)).toEqual([
      '+46701234567',
      syntheticIdNumber('fs', 'airbnb/HM4T9XK2PQ'),
    ]);
  });

  it('a retry produces the same synthetic id', () => {
    const input = { event: event({ guest: undefined }) };
    expect(desiredOf(input).entries[0]?.idNumber).toBe(desiredOf(input).entries[0]?.idNumber);
  });

  it('keeps a recorded synthetic id after the prefix changes', () => {
    const previous = recordOf(desiredOf({ event: event({ guest: undefined }) }));
    const result = planned({
      event: event({ guest: undefined }),
      resource: resource({ idNumber: { usePhone: true, prefix: 'new' } }),
      previous,
    });
    expect(result.operations).toEqual([]);
  });
});

describe('redactPlan', () => {
  it('removes every PIN from a plan meant for logs', () => {
    const previous = recordOf(desiredOf({ resource: twoUnits }));
    const result = plan({
      resource: resource({
        units: [
          { unitId: 3024, action: 'R2' },
          { unitId: 5000, action: 'R1' },
        ],
      }),
      previous,
    });
    const text = JSON.stringify(redactPlan(result));
    expect(JSON.stringify(result)).toContain('482917');
    expect(text).not.toContain('482917');
    expect(text).toContain('[redacted]');
  });

  it('passes rejected and skipped plans through', () => {
    const result = rejected({ resource: undefined });
    expect(redactPlan(result)).toBe(result);
  });
});
