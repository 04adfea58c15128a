import { DateTime } from 'luxon';
import { type BookingEvent, bookingKey, type ResolvedResource, type StoredBooking } from '../domain';
import { diffBooking } from './diff';
import { chooseIdNumber } from './id-number';
import { drawPin, trivialPinReason } from './pin';
import { entryDescription, entryName, externalRef } from './text';
import type {
  BookingPlan,
  DesiredBooking,
  DesiredEntry,
  DesiredFlexyBooking,
  Operation,
  PlanInput,
  RandomInt,
  UnitsInUse,
} from './types';
import { type BookingWindow, computeWindow, formatIso } from './window';

const NO_CODES: ReadonlySet<string> = new Set();

/**
 * Plans one booking: what should exist on the FlexyKey server for it, and the operations that
 * get there from what exists (`previous`). Pure: no I/O, no clock, no randomness of its own —
 * the same input (and the same `randomInt` answers) always gives the same plan.
 * The rules are explained in docs/planner.md.
 */
export function planBooking(input: PlanInput): BookingPlan {
  const { event, resource, previous, now } = input;
  const key = bookingKey(event);
  if (previous && previous.key !== key) {
    throw new Error(`planBooking: previous record ${previous.key} does not belong to booking ${key}`);
  }

  // Ordering: an older revision than the applied one is stale; an equal one re-applies (idempotent).
  if (
    event.revision !== undefined &&
    previous?.revision !== undefined &&
    event.revision < previous.revision
  ) {
    return {
      kind: 'skipped',
      key,
      reason: `revision ${event.revision} is older than the applied revision ${previous.revision}`,
    };
  }

  // A cancellation needs neither a known resource nor a valid window: access goes, whatever else is wrong.
  if (event.status === 'cancelled') {
    return planned(key, null, diffBooking(null, previous, { deleteReason: 'cancelled' }), []);
  }

  if (!resource) {
    return {
      kind: 'rejected',
      key,
      reasons: [`resource: '${event.resource}' is not a resource in the configuration`],
    };
  }

  const windowResult = computeWindow(event.start, event.end, resource);
  if (!windowResult.ok) return { kind: 'rejected', key, reasons: [windowResult.reason] };
  const window = windowResult.window;

  if (window.validTo.toMillis() <= now.toMillis()) {
    return planned(
      key,
      null,
      diffBooking(null, previous, { deleteReason: 'expired', keepFlexyBooking: true }),
      [`the booking's access ended at ${formatIso(window.validTo)}; nothing is wanted`],
    );
  }

  const notes: string[] = [];
  const unitIds = resource.units.map((unit) => unit.unitId);
  const recordedUnits = new Set((previous?.entries ?? []).map((entry) => entry.unitId));
  const pin = choosePin({
    event,
    resource,
    previous,
    unitIds,
    newUnitIds: unitIds.filter((unitId) => !recordedUnits.has(unitId)),
    unitsInUse: input.unitsInUse,
    now,
    validFrom: window.validFrom,
    randomInt: input.randomInt,
    notes,
  });
  if (!pin.ok) return { kind: 'rejected', key, reasons: [pin.reason] };

  const validFromIso = formatIso(window.validFrom);
  const validToIso = formatIso(window.validTo);
  const name = entryName(event.guest?.name, event.externalId, key);
  const description = entryDescription(resource.descriptionTag, event.externalId, key);
  const entries: DesiredEntry[] = [];
  for (const unit of resource.units) {
    const choice = chooseIdNumber({
      key,
      phone: event.guest?.phone,
      usePhone: resource.idNumber.usePhone,
      prefix: resource.idNumber.prefix,
      taken: input.unitsInUse.get(unit.unitId)?.idNumbers ?? NO_CODES,
      previous: previous?.entries.find((entry) => entry.unitId === unit.unitId)?.idNumber,
    });
    if (!choice.ok) return { kind: 'rejected', key, reasons: [`unit ${unit.unitId}: ${choice.reason}`] };
    if (choice.note) notes.push(`unit ${unit.unitId}: ${choice.note}`);
    entries.push({
      unitId: unit.unitId,
      idNumber: choice.idNumber,
      action: unit.action,
      name,
      description,
      codeTag: pin.pin,
      validFromIso,
      validToIso,
    });
  }

  const desired: DesiredBooking = {
    key,
    source: event.source,
    externalId: event.externalId,
    resource: resource.key,
    ...(event.revision !== undefined ? { revision: event.revision } : {}),
    pin: pin.pin,
    validFromIso,
    validToIso,
    entries,
    ...(resource.bookingObjectId !== undefined
      ? { flexyBooking: flexyBookingOf(resource.bookingObjectId, window, name, event, key) }
      : {}),
  };
  return planned(key, desired, diffBooking(desired, previous), notes);
}

function planned(
  key: string,
  desired: DesiredBooking | null,
  operations: readonly Operation[],
  notes: readonly string[],
): BookingPlan {
  return { kind: 'planned', key, desired, operations, notes };
}

function flexyBookingOf(
  bookingObjectId: number,
  window: BookingWindow,
  name: string,
  event: BookingEvent,
  key: string,
): DesiredFlexyBooking {
  const phone = event.guest?.phone;
  return {
    bookingObjectId,
    startIso: formatIso(window.start.startOf('second')),
    endIso: formatIso(
      window.end.millisecond === 0 ? window.end : window.end.startOf('second').plus({ seconds: 1 }),
    ),
    name,
    ...(phone !== undefined ? { phone } : {}),
    externalRef: externalRef(key),
  };
}

interface PinContext {
  readonly event: BookingEvent;
  readonly resource: ResolvedResource;
  readonly previous: StoredBooking | undefined;
  readonly unitIds: readonly number[];
  /** Units of the booking without a recorded entry: where a kept PIN has not been checked yet. */
  readonly newUnitIds: readonly number[];
  readonly unitsInUse: UnitsInUse;
  readonly now: DateTime;
  readonly validFrom: DateTime;
  readonly randomInt: RandomInt;
  readonly notes: string[];
}

type PinChoice =
  | { readonly ok: true; readonly pin: string }
  | { readonly ok: false; readonly reason: string };

/** Units (of `unitIds`) where another entry already has `pin`. */
function unitsHolding(pin: string, unitIds: readonly number[], unitsInUse: UnitsInUse): number[] {
  return unitIds.filter((unitId) => unitsInUse.get(unitId)?.codes.has(pin) ?? false);
}

function unitList(unitIds: readonly number[]): string {
  return unitIds.length === 1 ? `unit ${unitIds[0]}` : `units ${unitIds.join(', ')}`;
}

/**
 * The booking's PIN. In order: a PIN supplied by the booking (pin.source `booking`), validated
 * and never replaced; the PIN already recorded for the booking (kept across retries and
 * changes; re-drawn only when it collides on a newly added unit before validFrom); the last
 * digits of the guest's phone (pin.source `phone`) when usable; else a random draw.
 */
function choosePin(ctx: PinContext): PinChoice {
  const { event, resource, previous, unitsInUse, notes } = ctx;
  const policy = resource.pin;

  if (event.pin !== undefined && policy.source !== 'booking') {
    notes.push(`the event's pin is ignored: resource pin.source is '${policy.source}'`);
  }

  if (policy.source === 'booking' && event.pin !== undefined) {
    const supplied = event.pin;
    const trivial = trivialPinReason(supplied);
    if (trivial)
      return { ok: false, reason: `pin: the PIN supplied by the booking is too easy to guess (${trivial})` };
    // A PIN already on the booking's recorded units is known to be free there; check the rest.
    const unchanged = supplied === previous?.pin;
    const clashes = unitsHolding(supplied, unchanged ? ctx.newUnitIds : ctx.unitIds, unitsInUse);
    if (clashes.length > 0) {
      return {
        ok: false,
        reason: `pin: the PIN supplied by the booking is already in use on ${unitList(clashes)}; supply another`,
      };
    }
    if (!unchanged && previous?.pin !== undefined && codeIsLive(ctx)) {
      notes.push('the booking system changed the PIN after validFrom');
    }
    return { ok: true, pin: supplied };
  }

  if (previous?.pin !== undefined) {
    const clashes = unitsHolding(previous.pin, ctx.newUnitIds, unitsInUse);
    if (clashes.length === 0) {
      const shared = unitsHolding(
        previous.pin,
        ctx.unitIds.filter((unitId) => !ctx.newUnitIds.includes(unitId)),
        unitsInUse,
      );
      if (shared.length > 0) {
        notes.push(
          `another entry on ${unitList(shared)} has the same PIN as this booking; keeping the booking's PIN`,
        );
      }
      return { ok: true, pin: previous.pin };
    }
    if (codeIsLive(ctx)) {
      return {
        ok: false,
        reason: `pin: the booking's PIN is already in use on newly added ${unitList(clashes)}, and a PIN is never changed after validFrom; free it there or remove the unit`,
      };
    }
    notes.push(
      `the booking's PIN was in use on newly added ${unitList(clashes)}; drew a new one (before validFrom)`,
    );
    return draw(ctx);
  }

  if (policy.source === 'phone') {
    const phone = event.guest?.phone;
    if (phone === undefined) {
      notes.push('pin.source is phone but the booking has no guest phone; drew a random PIN');
      return draw(ctx);
    }
    const candidate = phone.slice(-policy.length);
    const trivial = trivialPinReason(candidate);
    if (trivial) {
      notes.push(
        `the last ${policy.length} digits of the guest phone are too easy to guess (${trivial}); drew a random PIN`,
      );
      return draw(ctx);
    }
    const clashes = unitsHolding(candidate, ctx.unitIds, unitsInUse);
    if (clashes.length > 0) {
      notes.push(
        `the last ${policy.length} digits of the guest phone are in use on ${unitList(clashes)}; drew a random PIN`,
      );
      return draw(ctx);
    }
    return { ok: true, pin: candidate };
  }

  if (policy.source === 'booking')
    notes.push('pin.source is booking but the event has no pin; drew a random PIN');
  return draw(ctx);
}

/** The recorded code may already be known to the guest and in use: from the earlier of the old and new validFrom. */
function codeIsLive(ctx: PinContext): boolean {
  const now = ctx.now.toMillis();
  if (ctx.validFrom.toMillis() <= now) return true;
  const recorded = ctx.previous?.validFromIso;
  if (recorded === undefined) return false;
  const recordedFrom = DateTime.fromISO(recorded, { setZone: true });
  return recordedFrom.isValid && recordedFrom.toMillis() <= now;
}

function draw(ctx: PinContext): PinChoice {
  const taken = new Set<string>();
  for (const unitId of ctx.unitIds)
    for (const code of ctx.unitsInUse.get(unitId)?.codes ?? []) taken.add(code);
  const result = drawPin(ctx.resource.pin.length, taken, ctx.randomInt);
  if (result.ok) return result;
  return {
    ok: false,
    reason: `pin: no ${ctx.resource.pin.length}-digit PIN that is not trivial and not in use on ${unitList(ctx.unitIds)} after ${result.draws} draws`,
  };
}
