import type { DateTime } from 'luxon';
import type {
  BookingEvent,
  FlexyId,
  ResolvedResource,
  StoredBooking,
  StoredEntry,
  StoredFlexyBooking,
} from '../domain';

/** What OTHER entries on one unit hold: codes and idNumbers a new entry must not reuse. */
export interface UnitUsage {
  readonly codes: ReadonlySet<string>;
  readonly idNumbers: ReadonlySet<string>;
}

/**
 * Per unitId, what the unit's other entries (other bookings' and hand-made ones) hold. The
 * booking's own entries must NOT be included, or its own PIN and idNumber would look taken
 * (the unit store's claims in Redis leave them out). A unit missing from the
 * map is taken to be empty.
 */
export type UnitsInUse = ReadonlyMap<number, UnitUsage>;

/** Source of randomness: an integer in [min, maxExclusive). Production passes `crypto.randomInt`. */
export type RandomInt = (min: number, maxExclusive: number) => number;

export interface PlanInput {
  readonly event: BookingEvent;
  /** `resolveResource(config, event.resource)`; undefined when the configuration does not know it. */
  readonly resource: ResolvedResource | undefined;
  /** What the applier recorded for this booking, if anything. */
  readonly previous?: StoredBooking | undefined;
  readonly unitsInUse: UnitsInUse;
  readonly now: DateTime;
  readonly randomInt: RandomInt;
}

/** One ID entry wanted on one unit (field names are FlexyKey's). */
export interface DesiredEntry {
  readonly unitId: number;
  /** ≤ 20 characters: the guest's E.164 phone, or `<prefix><hash>`. */
  readonly idNumber: string;
  readonly action: string;
  /** ≤ 25 UTF-16 units. */
  readonly name: string;
  /** ≤ 25 UTF-16 units, starts with the resource's descriptionTag. */
  readonly description: string;
  /** The PIN. */
  readonly codeTag: string;
  /** Never set by the planner today; compared by the diff so a recorded value is cleared. */
  readonly codeTagCalendar?: string;
  readonly validFromIso: string;
  readonly validToIso: string;
}

/** A FlexyKey booking wanted on the resource's booking object. */
export interface DesiredFlexyBooking {
  readonly bookingObjectId: number;
  /** The booking's own start/end (not widened by lead/lag), in the resource's zone. */
  readonly startIso: string;
  readonly endIso: string;
  readonly name: string;
  readonly phone?: string;
  /** The booking key, shortened deterministically when longer than 64. */
  readonly externalRef: string;
}

export interface DesiredBooking {
  readonly key: string;
  readonly source: string;
  readonly externalId: string;
  readonly resource: string;
  readonly revision?: number;
  readonly pin: string;
  readonly validFromIso: string;
  readonly validToIso: string;
  /** One per unit of the resource, in configuration order. */
  readonly entries: readonly DesiredEntry[];
  readonly flexyBooking?: DesiredFlexyBooking;
}

export type EntryField =
  | 'idNumber'
  | 'action'
  | 'name'
  | 'description'
  | 'codeTag'
  | 'codeTagCalendar'
  | 'validFromIso'
  | 'validToIso';

/** Why an entry or FlexyKey booking goes away. */
export type DeleteReason =
  /** The booking was cancelled. */
  | 'cancelled'
  /** Its validTo (or end) has passed. */
  | 'expired'
  /** The booking wants nothing any more (generic). */
  | 'not-wanted'
  /** The unit is no longer one of the booking's (resource changed, unit removed from the configuration). */
  | 'unit-removed'
  /** A second record for the same unit (should not happen; cleaned up). */
  | 'duplicate'
  /** FlexyKey bookings cannot be updated: a changed one is deleted and created again. */
  | 'changed'
  /**
   * An entry whose create was never answered (it may or may not be on the server) but that is no longer
   * wanted as it is: whatever landed goes, and the wanted entry is created.
   */
  | 'unconfirmed';

export interface CreateEntryOperation {
  readonly kind: 'entry.create';
  readonly unitId: number;
  readonly entry: DesiredEntry;
}

export interface UpdateEntryOperation {
  readonly kind: 'entry.update';
  readonly unitId: number;
  readonly entryId?: FlexyId;
  readonly entry: DesiredEntry;
  readonly previous: StoredEntry;
  readonly changed: readonly EntryField[];
  /** Whether a synced field changed (idNumber, action, codeTag, codeTagCalendar, validFromIso, validToIso): the unit needs a PushChanges. */
  readonly needsSync: boolean;
}

export interface DeleteEntryOperation {
  readonly kind: 'entry.delete';
  readonly unitId: number;
  readonly entryId?: FlexyId;
  readonly previous: StoredEntry;
  readonly reason: DeleteReason;
}

export interface CreateFlexyBookingOperation {
  readonly kind: 'flexyBooking.create';
  readonly booking: DesiredFlexyBooking;
}

export interface DeleteFlexyBookingOperation {
  readonly kind: 'flexyBooking.delete';
  readonly bookingId?: FlexyId;
  readonly previous: StoredFlexyBooking;
  readonly reason: DeleteReason;
}

export type Operation =
  | CreateEntryOperation
  | UpdateEntryOperation
  | DeleteEntryOperation
  | CreateFlexyBookingOperation
  | DeleteFlexyBookingOperation;

export interface RejectedPlan {
  readonly kind: 'rejected';
  readonly key: string;
  /** Each says what is wrong and, where it helps, what to do. Never contains a PIN. */
  readonly reasons: readonly string[];
}

export interface SkippedPlan {
  readonly kind: 'skipped';
  readonly key: string;
  readonly reason: string;
}

export interface PlannedPlan {
  readonly kind: 'planned';
  readonly key: string;
  /** null: the booking wants no access (cancelled or expired). */
  readonly desired: DesiredBooking | null;
  /** What to change, relative to `previous`: deletes, then updates, then creates. */
  readonly operations: readonly Operation[];
  /** Decisions worth telling an operator (fallbacks taken, inputs ignored). Never contains a PIN. */
  readonly notes: readonly string[];
}

export type BookingPlan = RejectedPlan | SkippedPlan | PlannedPlan;
