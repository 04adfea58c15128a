import { DateTime } from 'luxon';
import type { StoredBooking, StoredEntry, StoredFlexyBooking } from '../domain';
import type {
  DeleteReason,
  DesiredBooking,
  DesiredEntry,
  DesiredFlexyBooking,
  EntryField,
  Operation,
} from './types';

/** FLEXYKEY: changing one of these marks the row changed for sync (guide, PUT /UnitIdEntries). */
export const SYNCED_ENTRY_FIELDS: readonly EntryField[] = [
  'idNumber',
  'action',
  'codeTag',
  'codeTagCalendar',
  'validFromIso',
  'validToIso',
];

const ENTRY_FIELDS: readonly EntryField[] = [
  'idNumber',
  'action',
  'name',
  'description',
  'codeTag',
  'codeTagCalendar',
  'validFromIso',
  'validToIso',
];

const TIME_FIELDS: ReadonlySet<EntryField> = new Set(['validFromIso', 'validToIso']);

/** Two ISO times are the same when they name the same instant (`+01:00` vs `Z` spellings agree). */
function sameInstant(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const left = DateTime.fromISO(a, { setZone: true });
  const right = DateTime.fromISO(b, { setZone: true });
  return left.isValid && right.isValid && left.toMillis() === right.toMillis();
}

/** The fields of an entry that differ between what is recorded and what is wanted, in a fixed order. */
export function changedEntryFields(desired: DesiredEntry, previous: StoredEntry): EntryField[] {
  return ENTRY_FIELDS.filter((field) => {
    const want = desired[field];
    const have = previous[field];
    if (TIME_FIELDS.has(field)) return !sameInstant(want, have);
    // An empty calendar and no calendar are the same thing.
    if (field === 'codeTagCalendar') return (want ?? '') !== (have ?? '');
    return want !== have;
  });
}

function flexyBookingChanged(desired: DesiredFlexyBooking, previous: StoredFlexyBooking): boolean {
  return (
    desired.bookingObjectId !== previous.bookingObjectId ||
    !sameInstant(desired.startIso, previous.startIso) ||
    !sameInstant(desired.endIso, previous.endIso)
  );
}

export interface DiffOptions {
  /** Why entries go when nothing is wanted. @default 'not-wanted' */
  readonly deleteReason?: DeleteReason;
  /**
   * Leave a recorded FlexyKey booking in place although nothing is wanted: a booking that is over
   * stays in the booking object's calendar as history (it grants nothing any more).
   * @default false
   */
  readonly keepFlexyBooking?: boolean;
}

/**
 * What to do to go from `previous` (what exists, by our records) to `desired` (null: nothing).
 * Pure. Per unit: `entry.create` (no recorded entry, or one whose create was never answered),
 * `entry.update` (changed fields listed; `needsSync` only when a synced field changed — a name or
 * description change needs no unit sync), `entry.delete` (unit no longer wanted). The FlexyKey booking has no update: a change is
 * `flexyBooking.delete` then `flexyBooking.create`. Order: deletes, updates, creates; units in
 * ascending unitId.
 */
export function diffBooking(
  desired: DesiredBooking | null,
  previous: StoredBooking | undefined,
  options: DiffOptions = {},
): Operation[] {
  const removedReason: DeleteReason =
    desired === null ? (options.deleteReason ?? 'not-wanted') : 'unit-removed';
  const deletes: Operation[] = [];
  const updates: Operation[] = [];
  const creates: Operation[] = [];

  const byUnit = (a: { unitId: number }, b: { unitId: number }) => a.unitId - b.unitId;
  const wanted = new Map<number, DesiredEntry>();
  for (const entry of desired?.entries ?? []) wanted.set(entry.unitId, entry);

  // One recorded entry per unit is compared with what is wanted: the one with the wanted idNumber if
  // there is one (a retry's write-ahead may have recorded the wanted entry beside the one it replaces),
  // else the first. Any other is deleted: never confirmed, or a duplicate.
  const recorded = new Map<number, StoredEntry>();
  const entriesByUnit = new Map<number, StoredEntry[]>();
  for (const entry of [...(previous?.entries ?? [])].sort(byUnit)) {
    entriesByUnit.set(entry.unitId, [...(entriesByUnit.get(entry.unitId) ?? []), entry]);
  }
  for (const [unitId, entries] of entriesByUnit) {
    const wantedIdNumber = wanted.get(unitId)?.idNumber;
    const kept = entries.find((entry) => entry.idNumber === wantedIdNumber) ?? (entries[0] as StoredEntry);
    recorded.set(unitId, kept);
    for (const other of entries) {
      if (other !== kept)
        deletes.push(deleteEntry(other, other.entryId === undefined ? 'unconfirmed' : 'duplicate'));
    }
  }

  for (const entry of recorded.values()) {
    if (!wanted.has(entry.unitId)) deletes.push(deleteEntry(entry, removedReason));
  }
  for (const entry of [...wanted.values()].sort(byUnit)) {
    const have = recorded.get(entry.unitId);
    if (!have) {
      creates.push({ kind: 'entry.create', unitId: entry.unitId, entry });
      continue;
    }
    if (have.entryId === undefined) {
      // Recorded before its create, whose answer never came: the row may be on the server or not. A
      // create finds out (a 409 adopts the row); one with another idNumber would leave it behind.
      if (have.idNumber !== entry.idNumber) deletes.push(deleteEntry(have, 'unconfirmed'));
      creates.push({ kind: 'entry.create', unitId: entry.unitId, entry });
      continue;
    }
    const changed = changedEntryFields(entry, have);
    if (changed.length === 0) continue;
    updates.push({
      kind: 'entry.update',
      unitId: entry.unitId,
      ...(have.entryId !== undefined ? { entryId: have.entryId } : {}),
      entry,
      previous: have,
      changed,
      needsSync: changed.some((field) => SYNCED_ENTRY_FIELDS.includes(field)),
    });
  }

  const haveBooking = options.keepFlexyBooking && desired === null ? undefined : previous?.flexyBooking;
  const wantBooking = desired?.flexyBooking;
  if (haveBooking && (!wantBooking || flexyBookingChanged(wantBooking, haveBooking))) {
    deletes.push({
      kind: 'flexyBooking.delete',
      ...(haveBooking.bookingId !== undefined ? { bookingId: haveBooking.bookingId } : {}),
      previous: haveBooking,
      reason: wantBooking ? 'changed' : desired === null ? removedReason : 'not-wanted',
    });
  }
  // One recorded before its create, whose answer never came, is created again: the create looks for it first.
  const unconfirmed = haveBooking !== undefined && haveBooking.bookingId === undefined;
  if (wantBooking && (!haveBooking || unconfirmed || flexyBookingChanged(wantBooking, haveBooking))) {
    creates.push({ kind: 'flexyBooking.create', booking: wantBooking });
  }

  return [...deletes, ...updates, ...creates];
}

function deleteEntry(entry: StoredEntry, reason: DeleteReason): Operation {
  return {
    kind: 'entry.delete',
    unitId: entry.unitId,
    ...(entry.entryId !== undefined ? { entryId: entry.entryId } : {}),
    previous: entry,
    reason,
  };
}
