import type { StoredEntry } from '../domain';

/** A row of a unit's access list as the reconciler needs it (a subset of the API's row). */
export interface ActualRow {
  id: number;
  idNumber: string;
  action: string;
  name?: string | null;
  description?: string | null;
  codeTag?: string | null;
  validFromIso?: string | null;
  validToIso?: string | null;
  syncState?: string | null;
}

/** An entry our records say a booking has on the unit. */
export interface RecordedEntry {
  bookingKey: string;
  entry: StoredEntry;
  /** The booking's access has ended (validTo + grace before now): its entry must go. */
  expired: boolean;
}

/** Fields whose change the unit must receive (FlexyKey: these mark a row changed for sync). */
export const COMPARED_FIELDS = ['idNumber', 'action', 'codeTag', 'validFromIso', 'validToIso'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export interface FieldChange {
  field: ComparedField;
  /** What the unit's row holds now. */
  actual: string | null;
  /** What our records want. */
  wanted: string | null;
}

export type Drift =
  /** Recorded, but the row is gone (deleted by hand, a unit replaced, a lost job). */
  | { kind: 'missing'; bookingKey: string; entry: StoredEntry }
  /** The row exists but a synced field differs from our record (edited by hand). */
  | { kind: 'drifted'; bookingKey: string; entryId: number; changes: FieldChange[] }
  /** The booking's access ended: its entry is removed. */
  | { kind: 'expired'; bookingKey: string; entryId: number; validToIso: string }
  /** A row carrying our ownership tag that no record refers to (its booking's removal was lost). */
  | { kind: 'orphaned'; entryId: number; idNumber: string; description: string };

export interface UnitReconcilePlan {
  unitId: number;
  drifts: Drift[];
  /** Rows flexysync owns (recorded or tagged). */
  owned: number;
  /** Rows flexysync did not create: never touched, only counted. */
  foreign: number;
  /** Set when the orphan deletions exceed the allowed share: they are held back (see `held`). */
  refused?: string;
  /** Orphan deletions held back by the blast-radius guard. */
  held?: Drift[];
}

export interface UnitPlanInput {
  unitId: number;
  rows: readonly ActualRow[];
  recorded: readonly RecordedEntry[];
  /** Whether a row's description carries an ownership tag of ours. */
  isOwnedDescription: (description: string | null | undefined) => boolean;
  /** Largest share (0–1) of the unit's owned rows that orphan deletions may remove without `force`. */
  maxDeleteShare: number;
  force: boolean;
}

function sameValue(
  field: ComparedField,
  actual: string | null | undefined,
  wanted: string | null | undefined,
) {
  const a = actual ?? null;
  const w = wanted ?? null;
  if (a === null || w === null) return a === w;
  if (field === 'validFromIso' || field === 'validToIso') return Date.parse(a) === Date.parse(w);
  return a === w;
}

/**
 * What one unit needs to match our records (pure): rows are matched to recorded entries by row id,
 * else by idNumber; rows pending deletion are ignored (their removal is under way). Foreign rows are
 * counted and never planned. A plan whose orphan deletions exceed `maxDeleteShare` of the owned rows
 * is refused unless forced: that many orphans means our records were lost (e.g. Redis flushed), not
 * that the bookings ended.
 */
export function planUnit(input: UnitPlanInput): UnitReconcilePlan {
  const live = input.rows.filter((row) => row.syncState !== 'PendingDelete');
  const byId = new Map(live.map((row) => [row.id, row]));
  const byIdNumber = new Map(live.map((row) => [row.idNumber, row]));
  const matched = new Set<number>();
  const drifts: Drift[] = [];

  for (const { bookingKey, entry, expired } of input.recorded) {
    const row =
      (entry.entryId !== undefined ? byId.get(Number(entry.entryId)) : undefined) ??
      (entry.entryId === undefined ? byIdNumber.get(entry.idNumber) : undefined);
    if (row) matched.add(row.id);
    if (expired) {
      if (row) drifts.push({ kind: 'expired', bookingKey, entryId: row.id, validToIso: entry.validToIso });
      continue;
    }
    if (!row) {
      drifts.push({ kind: 'missing', bookingKey, entry });
      continue;
    }
    const changes: FieldChange[] = [];
    for (const field of COMPARED_FIELDS) {
      if (!sameValue(field, row[field], entry[field])) {
        changes.push({ field, actual: row[field] ?? null, wanted: entry[field] ?? null });
      }
    }
    if (changes.length > 0) drifts.push({ kind: 'drifted', bookingKey, entryId: row.id, changes });
  }

  let owned = 0;
  let foreign = 0;
  const orphans: Drift[] = [];
  for (const row of live) {
    if (matched.has(row.id)) {
      owned++;
    } else if (input.isOwnedDescription(row.description)) {
      owned++;
      orphans.push({
        kind: 'orphaned',
        entryId: row.id,
        idNumber: row.idNumber,
        description: row.description ?? '',
      });
    } else {
      foreign++;
    }
  }

  const plan: UnitReconcilePlan = { unitId: input.unitId, drifts: [...drifts, ...orphans], owned, foreign };
  if (!input.force && orphans.length > 0 && orphans.length > input.maxDeleteShare * owned) {
    plan.refused =
      `would delete ${orphans.length} of ${owned} owned entries as orphaned (more than ` +
      `${Math.round(input.maxDeleteShare * 100)}%): records may have been lost; nothing is deleted (use --force)`;
    plan.drifts = drifts;
    plan.held = orphans;
  }
  return plan;
}
