import { DateTime } from 'luxon';
import type { BookingEvent, ResolvedResource, StoredBooking } from '../../../src/domain';
import {
  type BookingPlan,
  type DesiredBooking,
  type PlanInput,
  type PlannedPlan,
  planBooking,
  type RandomInt,
  type RejectedPlan,
  type UnitsInUse,
  type UnitUsage,
} from '../../../src/planner';

export const STOCKHOLM = 'Europe/Stockholm';
export const NEW_YORK = 'America/New_York';

export function resource(overrides: Partial<ResolvedResource> = {}): ResolvedResource {
  return {
    key: 'flat-3b',
    timeZone: STOCKHOLM,
    units: [{ unitId: 3023, action: 'R1' }],
    checkInTime: '15:00',
    checkOutTime: '11:00',
    leadMinutes: 0,
    lagMinutes: 0,
    pin: { length: 6, source: 'random' },
    idNumber: { usePhone: true, prefix: 'fs' },
    descriptionTag: 'fs:',
    ...overrides,
  };
}

export function event(overrides: Partial<BookingEvent> = {}): BookingEvent {
  return {
    source: 'airbnb',
    externalId: 'HM4T9XK2PQ',
    resource: 'flat-3b',
    start: '2026-12-01',
    end: '2026-12-04',
    status: 'confirmed',
    guest: { name: 'Anna Svensson', phone: '+46701234567' },
    ...overrides,
  };
}

/** A randomInt that answers from a list (then repeats the last), and counts its calls. */
export function scripted(...values: number[]): RandomInt & { calls: number } {
  let index = 0;
  const fn = ((min: number, max: number) => {
    fn.calls++;
    const value = values[Math.min(index, values.length - 1)] ?? 0;
    index++;
    if (value < min || value >= max) throw new Error(`scripted value ${value} outside [${min}, ${max})`);
    return value;
  }) as RandomInt & { calls: number };
  fn.calls = 0;
  return fn;
}

export function usage(codes: string[] = [], idNumbers: string[] = []): UnitUsage {
  return { codes: new Set(codes), idNumbers: new Set(idNumbers) };
}

export function inUse(entries: Record<number, UnitUsage>): UnitsInUse {
  return new Map(Object.entries(entries).map(([unitId, value]) => [Number(unitId), value]));
}

export const NOW = DateTime.fromISO('2026-11-01T12:00:00Z');

export function plan(overrides: Partial<PlanInput> = {}): BookingPlan {
  return planBooking({
    event: event(),
    resource: resource(),
    unitsInUse: new Map(),
    now: NOW,
    randomInt: scripted(482_917),
    ...overrides,
  });
}

export function planned(input: Partial<PlanInput> = {}): PlannedPlan {
  const result = plan(input);
  if (result.kind !== 'planned') throw new Error(`expected a plan, got ${JSON.stringify(result)}`);
  return result;
}

export function desiredOf(input: Partial<PlanInput> = {}): DesiredBooking {
  const result = planned(input);
  if (!result.desired) throw new Error('expected something desired');
  return result.desired;
}

export function rejected(input: Partial<PlanInput> = {}): RejectedPlan {
  const result = plan(input);
  if (result.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result;
}

/** What the applier would record after carrying out `desired` completely. */
export function recordOf(desired: DesiredBooking, extra: Partial<StoredBooking> = {}): StoredBooking {
  return {
    key: desired.key,
    source: desired.source,
    externalId: desired.externalId,
    ...(desired.revision !== undefined ? { revision: desired.revision } : {}),
    resource: desired.resource,
    status: 'confirmed',
    pin: desired.pin,
    validFromIso: desired.validFromIso,
    validToIso: desired.validToIso,
    entries: desired.entries.map((entry, index) => ({ ...entry, entryId: 1000 + index })),
    ...(desired.flexyBooking
      ? {
          flexyBooking: {
            bookingId: 'b-1',
            bookingObjectId: desired.flexyBooking.bookingObjectId,
            startIso: desired.flexyBooking.startIso,
            endIso: desired.flexyBooking.endIso,
          },
        }
      : {}),
    updatedIso: '2026-11-01T12:00:00Z',
    ...extra,
  };
}
