import type { FlexyId, StoredBooking } from '../domain';
import type { UnitUsage } from './types';

/** The parts of a FlexyKey ID entry row the planner cares about. */
export interface UnitEntryRow {
  readonly unitId: number;
  readonly id?: FlexyId;
  readonly idNumber: string;
  readonly codeTag?: string | null;
}

/**
 * Builds the planner's `unitsInUse` from the rows on the booking's units (as listed by the
 * API), leaving out the booking's own entries: a row is the booking's own when its id is a
 * recorded entryId on that unit, or, for a recorded entry whose id was never learned, when its
 * idNumber matches. Rows pending deletion still count (they are on the unit until the next sync).
 */
export function collectUnitsInUse(
  rows: Iterable<UnitEntryRow>,
  own?: Pick<StoredBooking, 'entries'>,
): Map<number, UnitUsage> {
  const usage = new Map<number, { codes: Set<string>; idNumbers: Set<string> }>();
  const ownEntries = own?.entries ?? [];
  for (const row of rows) {
    const isOwn = ownEntries.some(
      (entry) =>
        entry.unitId === row.unitId &&
        (entry.entryId !== undefined && row.id !== undefined
          ? String(entry.entryId) === String(row.id)
          : entry.idNumber === row.idNumber),
    );
    if (isOwn) continue;
    let unit = usage.get(row.unitId);
    if (!unit) {
      unit = { codes: new Set(), idNumbers: new Set() };
      usage.set(row.unitId, unit);
    }
    unit.idNumbers.add(row.idNumber);
    if (row.codeTag) unit.codes.add(row.codeTag);
  }
  return usage;
}
