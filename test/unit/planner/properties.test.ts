import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { BookingEvent, ResolvedResource } from '../../../src/domain';
import {
  drawPin,
  entryDescription,
  entryName,
  isTrivialPin,
  localDateTime,
  MAX_PIN_DRAWS,
  type PlanInput,
  planBooking,
  type RandomInt,
  type UnitUsage,
} from '../../../src/planner';

/** A randomInt answering from a generated list (cycled), mapped into range. */
function fromList(values: readonly number[]): RandomInt & { calls: number } {
  let index = 0;
  const fn = ((min: number, max: number) => {
    fn.calls++;
    const value = values[index % values.length] ?? 0;
    index++;
    return min + (value % (max - min));
  }) as RandomInt & { calls: number };
  fn.calls = 0;
  return fn;
}

const wellFormed = (text: string) => {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

const printable = (maxLength: number) =>
  fc.string({ unit: 'binary', minLength: 1, maxLength }).filter((text) => !/\p{Cc}/u.test(text));

/** What the configuration accepts: 1–12 UTF-16 units. */
const tagArb = printable(12).filter((tag) => tag.length <= 12);

const zoneArb = fc.constantFrom(
  'Europe/Stockholm',
  'America/New_York',
  'Australia/Sydney',
  'Asia/Kolkata',
  'UTC',
);
const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

/** A small pool of codes so drawn PINs and codes in use collide often. */
const POOL = [48_291, 390_517, 804_213, 111_111, 123_456, 271_828, 314_159, 577_215];

const resourceArb: fc.Arbitrary<ResolvedResource> = fc.record({
  key: fc.constant('r'),
  timeZone: zoneArb,
  units: fc
    .uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 })
    .map((ids) => ids.map((unitId) => ({ unitId, action: unitId % 2 === 0 ? 'R1' : 'G13' }))),
  checkInTime: hhmm,
  checkOutTime: hhmm,
  leadMinutes: fc.integer({ min: 0, max: 180 }),
  lagMinutes: fc.integer({ min: 0, max: 180 }),
  pin: fc.record({
    length: fc.constant(6),
    source: fc.constantFrom('random' as const, 'booking' as const, 'phone' as const),
  }),
  idNumber: fc.record({
    usePhone: fc.boolean(),
    prefix: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,5}$/),
  }),
  descriptionTag: tagArb,
});

const phoneArb = fc.constantFrom('+46701234567', '+46705093817', '+15551234567', '+4670000000');

const eventArb: fc.Arbitrary<BookingEvent> = fc
  .record({
    source: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    externalId: printable(255),
    startDay: fc.integer({ min: 0, max: 360 }),
    nights: fc.integer({ min: 1, max: 20 }),
    name: fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: undefined }),
    phone: fc.option(phoneArb, { nil: undefined }),
    pin: fc.option(fc.constantFrom('0471', '5082', '1234', '390517', '7294816'), { nil: undefined }),
  })
  .map(({ source, externalId, startDay, nights, name, phone, pin }) => {
    const start = DateTime.fromISO('2026-01-01', { zone: 'utc' }).plus({ days: startDay });
    const guest = name === undefined && phone === undefined ? undefined : { name, phone };
    return {
      source,
      externalId,
      resource: 'r',
      start: start.toISODate() ?? '',
      end: start.plus({ days: nights }).toISODate() ?? '',
      status: 'confirmed' as const,
      ...(guest ? { guest } : {}),
      ...(pin ? { pin } : {}),
    };
  });

const usageArb: fc.Arbitrary<Map<number, UnitUsage>> = fc
  .array(
    fc.record({
      unitId: fc.integer({ min: 1, max: 6 }),
      codes: fc.uniqueArray(
        fc.constantFrom(...POOL.map((value) => String(value).padStart(6, '0')), '0471', '5082'),
      ),
      idNumbers: fc.uniqueArray(phoneArb, { maxLength: 2 }),
    }),
    { maxLength: 6 },
  )
  .map(
    (rows) =>
      new Map(
        rows.map((row) => [row.unitId, { codes: new Set(row.codes), idNumbers: new Set(row.idNumbers) }]),
      ),
  );

const nowArb = fc
  .integer({ min: 0, max: 200 })
  .map((day) => DateTime.fromISO('2025-12-01T00:00:00Z').plus({ days: day }));

const randomsArb = fc.array(fc.constantFrom(...POOL), { minLength: 1, maxLength: 12 });

describe('properties', () => {
  it('drawn PINs are never trivial and never taken; a failure used exactly the bounded draws', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 7 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat({ max: 9_999_999 }), { maxLength: 50 }),
        (length, randoms, takenValues) => {
          const taken = new Set(
            takenValues.map((value) => String(value % 10 ** length).padStart(length, '0')),
          );
          const random = fromList(randoms);
          const result = drawPin(length, taken, random);
          if (result.ok) {
            expect(result.pin).toMatch(new RegExp(`^\\d{${length}}$`));
            expect(isTrivialPin(result.pin)).toBe(false);
            expect(taken.has(result.pin)).toBe(false);
          } else {
            expect(random.calls).toBe(MAX_PIN_DRAWS);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('planned bookings respect every limit: PIN non-trivial and free on all units, lengths within bounds', () => {
    fc.assert(
      fc.property(
        eventArb,
        resourceArb,
        usageArb,
        nowArb,
        randomsArb,
        (event, resource, unitsInUse, now, randoms) => {
          const plan = planBooking({ event, resource, unitsInUse, now, randomInt: fromList(randoms) });
          if (plan.kind === 'rejected') {
            for (const reason of plan.reasons) expect(reason).toMatch(/^(pin:|end) /);
            return;
          }
          expect(plan.kind).toBe('planned');
          if (plan.kind !== 'planned' || plan.desired === null) return;
          const { pin, entries } = plan.desired;
          expect(entries).toHaveLength(resource.units.length);
          const suppliedAndUsed = resource.pin.source === 'booking' && event.pin === pin;
          if (!suppliedAndUsed) expect(isTrivialPin(pin)).toBe(false);
          for (const entry of entries) {
            expect(entry.codeTag).toBe(pin);
            expect(unitsInUse.get(entry.unitId)?.codes.has(pin) ?? false).toBe(false);
            expect(unitsInUse.get(entry.unitId)?.idNumbers.has(entry.idNumber) ?? false).toBe(false);
            expect(entry.idNumber.length).toBeLessThanOrEqual(20);
            expect(entry.name.length).toBeLessThanOrEqual(25);
            expect(entry.name.length).toBeGreaterThan(0);
            expect(entry.description.length).toBeLessThanOrEqual(25);
            expect(entry.description.startsWith(resource.descriptionTag)).toBe(true);
            expect(wellFormed(entry.name) && wellFormed(entry.description)).toBe(true);
            expect(Date.parse(entry.validFromIso)).toBeLessThan(Date.parse(entry.validToIso));
          }
          expect(Date.parse(plan.desired.validToIso)).toBeGreaterThan(now.toMillis());
        },
      ),
      { numRuns: 400 },
    );
  });

  it('planBooking is deterministic given the same inputs and randomInt answers', () => {
    fc.assert(
      fc.property(
        eventArb,
        resourceArb,
        usageArb,
        nowArb,
        randomsArb,
        (event, resource, unitsInUse, now, randoms) => {
          const input = (): PlanInput => ({ event, resource, unitsInUse, now, randomInt: fromList(randoms) });
          const first = planBooking(input());
          const second = planBooking(input());
          expect(second).toEqual(first);
          if (first.kind === 'planned' && first.desired) {
            // Re-planning against what the plan produced changes nothing and draws nothing.
            const previous = {
              key: first.desired.key,
              source: first.desired.source,
              externalId: first.desired.externalId,
              resource: first.desired.resource,
              status: 'confirmed' as const,
              pin: first.desired.pin,
              validFromIso: first.desired.validFromIso,
              validToIso: first.desired.validToIso,
              entries: first.desired.entries.map((entry, index) => ({ ...entry, entryId: 100 + index })),
              updatedIso: now.toISO() ?? '',
            };
            const random = fromList(randoms);
            const again = planBooking({ event, resource, unitsInUse, now, previous, randomInt: random });
            expect(again.kind === 'planned' ? again.operations : again).toEqual([]);
            expect(random.calls).toBe(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names and descriptions stay within 25 UTF-16 units and well-formed for any text', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary', maxLength: 300 }), { nil: undefined }),
        printable(255),
        tagArb,
        (name, externalId, tag) => {
          const key = `s/${externalId}`;
          const shortName = entryName(name, externalId, key);
          const description = entryDescription(tag, externalId, key);
          expect(shortName.length).toBeLessThanOrEqual(25);
          expect(description.length).toBeLessThanOrEqual(25);
          expect(wellFormed(shortName) && wellFormed(description)).toBe(true);
          expect(entryName(name, externalId, key)).toBe(shortName);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a local time resolves to that wall clock (or, in a spring gap, later), taking the first of two', () => {
    fc.assert(
      fc.property(
        zoneArb,
        fc.integer({ min: 0, max: 730 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        (zone, dayOffset, hour, minute) => {
          const date = DateTime.fromISO('2026-01-01', { zone: 'utc' }).plus({ days: dayOffset });
          const parts = { year: date.year, month: date.month, day: date.day, hour, minute };
          const resolved = localDateTime(zone, parts);
          const exact =
            resolved.year === parts.year &&
            resolved.month === parts.month &&
            resolved.day === parts.day &&
            resolved.hour === hour &&
            resolved.minute === minute;
          if (exact) {
            // First occurrence: no earlier instant within the DST shift shows the same wall clock.
            const earlier = resolved.minus({ hours: 1 });
            expect(earlier.hour === hour && earlier.minute === minute && earlier.day === parts.day).toBe(
              false,
            );
          } else {
            // Spring gap: moved forward by less than two hours, same day.
            const wall = DateTime.fromObject(parts, { zone: 'utc' });
            const shown = DateTime.fromObject(
              {
                year: resolved.year,
                month: resolved.month,
                day: resolved.day,
                hour: resolved.hour,
                minute: resolved.minute,
              },
              { zone: 'utc' },
            );
            const forward = shown.diff(wall, 'minutes').minutes;
            expect(forward).toBeGreaterThan(0);
            expect(forward).toBeLessThanOrEqual(120);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
