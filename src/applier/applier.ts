import type { StoredBooking, StoredEntry, StoredFlexyBooking } from '../domain';
import {
  type CreateUnitIdEntryInput,
  type FlexyKeyClient,
  FlexyKeyConflictError,
  FlexyKeyError,
  FlexyKeyNotFoundError,
  type UnitIdEntry,
} from '../flexykey';
import type { Logger } from '../logging';
import {
  type DesiredEntry,
  type DesiredFlexyBooking,
  externalRef,
  type Operation,
  type PlannedPlan,
  type UnitsInUse,
} from '../planner';
import { type BookingStore, FencedOutError, type UnitStore, type WriteFence } from '../store';

/**
 * Raised when an idNumber is held on the unit by an entry that is not this booking's (a hand-made
 * entry, or another booking's that our records do not know): the caller re-plans with it taken.
 */
export class IdNumberTakenError extends Error {
  constructor(
    readonly unitId: number,
    readonly idNumber: string,
  ) {
    super(`idNumber is already used on unit ${unitId} by an entry flexysync does not own for this booking`);
    this.name = 'IdNumberTakenError';
  }

  /** The idNumber as in use on its unit, for the next plan. */
  get taken(): UnitsInUse {
    return new Map([[this.unitId, { codes: new Set<string>(), idNumbers: new Set([this.idNumber]) }]]);
  }
}

/**
 * Raised when a create finds this booking's own entry already on the unit (same description) carrying
 * another PIN, while our record knew no PIN: the record was lost (e.g. Redis flushed). The caller plans
 * again from the row, so the guest keeps the code the door already knows.
 */
export class OwnEntryFoundError extends Error {
  constructor(
    readonly unitId: number,
    readonly row: UnitIdEntry,
  ) {
    super(`unit ${unitId} already holds this booking's entry ${row.id} from before our record was lost`);
    this.name = 'OwnEntryFoundError';
  }
}

/** Raised when the booking's lease was lost while its plan was being applied: the event is retried. */
export class LeaseLostError extends Error {
  /**
   * Rows this attempt created whose record write was then refused (the lease was already gone): the
   * next holder may never learn of them. Whoever catches this removes those its record does not list.
   */
  readonly unrecorded: UnrecordedRow[] = [];

  constructor(readonly bookingKey: string) {
    super(`lost the lease of booking ${bookingKey} while applying it; the event is retried`);
    this.name = 'LeaseLostError';
  }
}

/** A row created on a unit by an attempt that could not record it. */
export interface UnrecordedRow {
  unitId: number;
  rowId: number | string;
  idNumber: string;
}

/**
 * Raised before any change when a code or idNumber the plan chose is held on a unit by someone else
 * (another booking chose the same PIN a moment earlier, or a hand-made entry): the caller plans again
 * with `taken` as in use.
 */
export class ClaimsTakenError extends Error {
  constructor(readonly taken: UnitsInUse) {
    super(`codes or idNumbers the plan chose are taken on unit(s) ${[...taken.keys()].join(', ')}`);
    this.name = 'ClaimsTakenError';
  }
}

export interface ApplyResult {
  record: StoredBooking;
  /** Units whose synced data changed: each needs a PushChanges. */
  unitsToSync: number[];
  /** API calls made, by kind, for metrics and benchmarks. */
  calls: Record<string, number>;
}

export interface ApplierDeps {
  flexykey: FlexyKeyClient;
  bookings: BookingStore;
  units: UnitStore;
  logger: Logger;
  now: () => Date;
}

export interface ApplyInput {
  plan: PlannedPlan;
  previous: StoredBooking | undefined;
  /**
   * Whether this process still holds the booking's lease; checked before every write and API call, so
   * a process that lost it (a long pause, a network split) stops instead of racing the new holder.
   */
  stillOwner?: () => boolean;
  /**
   * The booking's lease as Redis holds it: every record write checks it in the same script, so a
   * process that lost the lease without noticing yet (its writes queued during a partition) cannot
   * overwrite the next holder's record.
   */
  fence?: WriteFence;
  /** Fields of the record that come from the event, not from the plan. */
  base: Pick<
    StoredBooking,
    'key' | 'source' | 'externalId' | 'resource' | 'status' | 'revision' | 'lastEvent' | 'event'
  >;
}

function entryBody(entry: DesiredEntry): CreateUnitIdEntryInput {
  return {
    unitId: entry.unitId,
    idNumber: entry.idNumber,
    name: entry.name,
    description: entry.description,
    action: entry.action,
    codeTag: entry.codeTag,
    codeTagCalendar: entry.codeTagCalendar === undefined ? null : Number(entry.codeTagCalendar),
    validFromIso: entry.validFromIso,
    validToIso: entry.validToIso,
  };
}

function storedEntry(entry: DesiredEntry, entryId: number | string | undefined): StoredEntry {
  return {
    unitId: entry.unitId,
    ...(entryId === undefined ? {} : { entryId }),
    idNumber: entry.idNumber,
    action: entry.action,
    name: entry.name,
    description: entry.description,
    codeTag: entry.codeTag,
    ...(entry.codeTagCalendar === undefined ? {} : { codeTagCalendar: entry.codeTagCalendar }),
    validFromIso: entry.validFromIso,
    validToIso: entry.validToIso,
  };
}

/** A record write's promise, its FencedOutError (the lease was lost) told as a {@link LeaseLostError}. */
async function fenced<T>(bookingKey: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof FencedOutError) throw new LeaseLostError(bookingKey);
    throw error;
  }
}

/** What an entry claims on its unit (either may be left out). */
type Claimed = { codeTag?: string; idNumber?: string };

/**
 * Frees, on the unit, the code and idNumber `gone` claimed for the booking, except what an entry the
 * record keeps on that unit still uses.
 */
async function releaseUnusedClaims(
  units: UnitStore,
  bookingKey: string,
  kept: readonly ({ unitId: number } & Claimed)[],
  unitId: number,
  gone: Claimed,
): Promise<void> {
  const others = kept.filter((e) => e.unitId === unitId);
  await units.release(unitId, bookingKey, {
    code: others.some((e) => e.codeTag === gone.codeTag) ? undefined : gone.codeTag,
    idNumber: others.some((e) => e.idNumber === gone.idNumber) ? undefined : gone.idNumber,
  });
}

/** The same recorded entry: one unit, one idNumber, and the same row id (or none yet). */
function sameEntry(a: StoredEntry, b: StoredEntry): boolean {
  return (
    a.unitId === b.unitId && a.idNumber === b.idNumber && String(a.entryId ?? '') === String(b.entryId ?? '')
  );
}

/** An answer that says the request was refused and changed nothing (a 4xx other than 408, 409, 429). */
function isRefusal(error: FlexyKeyError): boolean {
  const status = error.statusCode;
  return status !== undefined && status >= 400 && status < 500 && ![408, 409, 429].includes(status);
}

/** The live row holding `idNumber` on the unit (not one pending deletion), whoever owns it. */
async function liveRowHolding(
  flexykey: FlexyKeyClient,
  unitId: number,
  idNumber: string,
): Promise<UnitIdEntry | undefined> {
  const page = await flexykey.unitIdEntries.list({ unitId, search: idNumber, limit: 100, offset: 0 });
  return page.items.find((row) => row.idNumber === idNumber && row.syncState !== 'PendingDelete');
}

const SYNCED_ROW_FIELDS = ['idNumber', 'action', 'codeTag', 'validFromIso', 'validToIso'] as const;

function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return a === b;
  return Date.parse(a) === Date.parse(b);
}

/** Whether an existing row already carries what `entry` wants on the unit. */
function rowMatches(row: UnitIdEntry, entry: DesiredEntry): boolean {
  return SYNCED_ROW_FIELDS.every((field) =>
    field === 'validFromIso' || field === 'validToIso'
      ? sameInstant(row[field], entry[field])
      : (row[field] ?? null) === (entry[field] ?? null),
  );
}

/**
 * Makes the FlexyKey server match a plan with the fewest calls, recording after every call what now
 * exists, so that a crash between any two calls leaves a record from which a retry converges:
 * - the PIN and window are written before the first call (a retry never draws another PIN);
 * - a create answered 409 (our earlier attempt landed, but its answer was lost) adopts the row when it
 *   is this booking's (same description), and otherwise reports the idNumber as taken;
 * - a delete or update of a row that is already gone is not an error.
 * Only rows recorded as this booking's are ever changed or deleted.
 */
export function createApplier(deps: ApplierDeps) {
  const { flexykey, bookings, units, logger } = deps;

  return {
    async apply({ plan, previous, base, stillOwner, fence }: ApplyInput): Promise<ApplyResult> {
      const ensureOwner = () => {
        if (stillOwner && !stillOwner()) throw new LeaseLostError(base.key);
      };
      const calls: Record<string, number> = {};
      const count = (kind: string) => {
        calls[kind] = (calls[kind] ?? 0) + 1;
      };
      const desired = plan.desired;
      const record: StoredBooking = {
        ...base,
        entries: [...(previous?.entries ?? [])],
        ...(previous?.flexyBooking ? { flexyBooking: previous.flexyBooking } : {}),
        ...(desired
          ? { pin: desired.pin, validFromIso: desired.validFromIso, validToIso: desired.validToIso }
          : previous?.pin
            ? { pin: previous.pin }
            : {}),
        updatedIso: deps.now().toISOString(),
      };
      let finishing = false;
      let indexed = previous !== undefined;
      /** Saves the record; `done` (the last operation's call went through) ends `applying`. */
      const save = async (done = finishing) => {
        ensureOwner();
        record.updatedIso = deps.now().toISOString();
        if (done) record.applying = false;
        await fenced(base.key, bookings.put(record, { indexed, fence }));
        indexed = true;
      };
      const unitsToSync = new Set<number>();
      /** Replaces the recorded entry `gone` (if any) by `entry` (if any); other entries of the unit stay. */
      const replaceEntry = (gone: StoredEntry | undefined, entry: StoredEntry | undefined) => {
        record.entries = record.entries.filter((e) => !gone || !sameEntry(e, gone));
        if (entry) record.entries = [...record.entries.filter((e) => !sameEntry(e, entry)), entry];
        record.entries.sort((a, b) => a.unitId - b.unitId);
      };

      /**
       * Units whose synced data the plan changes. They are marked as waiting for this booking before any
       * call, together with the write-ahead save of the PIN and window (so a retry never draws another
       * PIN): the unit-sync confirmation reads the record and then checks the mark's generation, so a
       * change is never announced before it was pushed, and a crash after a call still leaves the unit
       * marked for a sync.
       */
      for (const op of plan.operations) {
        if (
          op.kind === 'entry.create' ||
          op.kind === 'entry.delete' ||
          (op.kind === 'entry.update' && op.needsSync)
        ) {
          unitsToSync.add(op.unitId);
        }
      }
      // Entries about to be created are recorded ahead, without a row id: if a create's answer is lost,
      // whatever event of the booking comes next knows the row may be there (and finds it).
      for (const op of plan.operations) {
        if (op.kind === 'entry.create') replaceEntry(undefined, storedEntry(op.entry, undefined));
      }
      // The write-ahead, in one atomic step: the codes and idNumbers the plan chose become this
      // booking's, the record (PIN, window, entries ahead) is saved and the units are marked. If another
      // owner holds any of them (a race, or a hand-made entry), nothing is written and the caller
      // re-plans.
      ensureOwner();
      record.applying = plan.operations.length > 0;
      record.updatedIso = deps.now().toISOString();
      const taken = await fenced(
        base.key,
        bookings.putClaiming(record, {
          fence,
          indexed,
          claims: new Map(
            (desired?.entries ?? []).map((entry) => [
              entry.unitId,
              { code: entry.codeTag, idNumber: entry.idNumber },
            ]),
          ),
          awaitingUnits: [...unitsToSync],
        }),
      );
      if (taken.size > 0) throw new ClaimsTakenError(taken);
      indexed = true;

      const findRow = (unitId: number, idNumber: string): Promise<UnitIdEntry | undefined> => {
        count('GET /UnitIdEntries');
        return liveRowHolding(flexykey, unitId, idNumber);
      };
      /** The row of a recorded entry whose id is unknown: only ever one with the entry's own description. */
      const findOwnRow = async (entry: StoredEntry): Promise<UnitIdEntry | undefined> => {
        const row = await findRow(entry.unitId, entry.idNumber);
        return row?.description === entry.description ? row : undefined;
      };

      // What the record keeps, and what the plan wants (claimed by the write-ahead), stays claimed.
      const releaseUnused = (unitId: number, gone: Claimed) =>
        releaseUnusedClaims(
          units,
          record.key,
          [...record.entries, ...(desired?.entries ?? [])],
          unitId,
          gone,
        );

      /** Drops an entry recorded ahead of a create that made no row; `free` releases what it claimed. */
      const forgetUnconfirmed = async (entry: DesiredEntry, free: { code: boolean; idNumber: boolean }) => {
        replaceEntry(storedEntry(entry, undefined), undefined);
        await save(false);
        // Only what the record keeps counts: the entry the plan wanted here is the one that failed.
        await releaseUnusedClaims(units, record.key, record.entries, entry.unitId, {
          ...(free.code ? { codeTag: entry.codeTag } : {}),
          ...(free.idNumber ? { idNumber: entry.idNumber } : {}),
        });
      };

      /** Saves after a create; a refusal by the fence reports the row, which is then recorded nowhere. */
      const saveCreated = async (unitId: number, row: UnitIdEntry, entry: DesiredEntry) => {
        try {
          await save();
        } catch (error) {
          if (error instanceof LeaseLostError) {
            error.unrecorded.push({ unitId, rowId: row.id, idNumber: entry.idNumber });
          }
          throw error;
        }
      };

      const createEntry = async (entry: DesiredEntry): Promise<UnitIdEntry> => {
        try {
          count('POST /UnitIdEntries');
          return await flexykey.unitIdEntries.create(entryBody(entry));
        } catch (error) {
          if (!(error instanceof FlexyKeyConflictError)) {
            // Refused outright: no row was created, so the entry recorded ahead of the call goes.
            if (error instanceof FlexyKeyError && isRefusal(error)) {
              await forgetUnconfirmed(entry, { code: true, idNumber: true });
            }
            throw error;
          }
          const row = await findRow(entry.unitId, entry.idNumber);
          if (!row || row.description !== entry.description) {
            // Claimed for this booking a moment ago, but a row we do not own holds it on the unit.
            // The code stays claimed: the next plan gives this entry another idNumber, not another PIN.
            await forgetUnconfirmed(entry, { code: false, idNumber: true });
            throw new IdNumberTakenError(entry.unitId, entry.idNumber);
          }
          if (
            previous?.pin === undefined &&
            row.codeTag &&
            /^\d{4,7}$/.test(row.codeTag) &&
            row.codeTag !== entry.codeTag
          ) {
            throw new OwnEntryFoundError(entry.unitId, row);
          }
          logger.info(
            { unitId: entry.unitId, entryId: row.id },
            'adopted an entry created by an earlier attempt',
          );
          if (rowMatches(row, entry) && row.name === entry.name) return row;
          count('PUT /UnitIdEntries/{id}');
          return flexykey.unitIdEntries.update(row.id, entryBody(entry));
        }
      };

      const changeComing = async (unitId: number) => {
        unitsToSync.add(unitId);
        await units.markAwaiting(unitId, record.key);
      };

      for (const [index, operation] of plan.operations.entries()) {
        // The last operation's own save (after its call) also records that the plan went through.
        if (index === plan.operations.length - 1) finishing = true;
        await applyOperation(operation);
      }

      async function applyOperation(op: Operation): Promise<void> {
        ensureOwner();
        switch (op.kind) {
          case 'entry.delete': {
            const entryId = op.entryId ?? (await findOwnRow(op.previous))?.id;
            if (entryId !== undefined) {
              try {
                count('DELETE /UnitIdEntries/{id}');
                await flexykey.unitIdEntries.delete({ id: Number(entryId), unitId: op.unitId });
              } catch (error) {
                if (!(error instanceof FlexyKeyNotFoundError)) throw error;
              }
            }
            replaceEntry(op.previous, undefined);
            // Saved first: a process that lost the lease must not free what the next holder relies on.
            await save();
            await releaseUnused(op.unitId, op.previous);
            return;
          }
          case 'entry.update': {
            const entryId = op.entryId ?? (await findOwnRow(op.previous))?.id;
            let row: UnitIdEntry;
            if (entryId === undefined) {
              row = await createEntry(op.entry);
            } else {
              try {
                count('PUT /UnitIdEntries/{id}');
                row = await flexykey.unitIdEntries.update(Number(entryId), entryBody(op.entry));
              } catch (error) {
                if (error instanceof FlexyKeyConflictError) {
                  await units.release(op.unitId, record.key, { idNumber: op.entry.idNumber });
                  throw new IdNumberTakenError(op.unitId, op.entry.idNumber);
                }
                if (!(error instanceof FlexyKeyNotFoundError)) throw error;
                // Deleted on the server behind our back: create it again.
                row = await createEntry(op.entry);
              }
            }
            replaceEntry(op.previous, storedEntry(op.entry, row.id));
            await save();
            await releaseUnused(op.unitId, op.previous);
            if (!op.needsSync && row.syncState === 'Changed') await changeComing(op.unitId);
            return;
          }
          case 'entry.create': {
            // An entry recorded for this unit and idNumber before, never confirmed (its create's answer
            // was lost): what it claimed and the new entry does not use is freed once the row is ours.
            const replaced = previous?.entries.find(
              (e) => e.unitId === op.unitId && e.entryId === undefined && e.idNumber === op.entry.idNumber,
            );
            const row = await createEntry(op.entry);
            replaceEntry(storedEntry(op.entry, undefined), storedEntry(op.entry, row.id));
            await saveCreated(op.unitId, row, op.entry);
            if (replaced) await releaseUnused(op.unitId, replaced);
            return;
          }
          case 'flexyBooking.delete': {
            const bookingIds =
              op.bookingId !== undefined ? [op.bookingId] : await findOwnFlexyBookings(op.previous);
            for (const bookingId of bookingIds) {
              try {
                count('DELETE /Bookings/{bookingId}');
                await flexykey.bookings.delete({ bookingId });
              } catch (error) {
                if (!(error instanceof FlexyKeyNotFoundError)) throw error;
              }
            }
            delete record.flexyBooking;
            await save();
            return;
          }
          case 'flexyBooking.create': {
            // Recorded first, without its id, so a lost answer leaves a trace the next event can follow.
            const unconfirmed = {
              bookingObjectId: op.booking.bookingObjectId,
              startIso: op.booking.startIso,
              endIso: op.booking.endIso,
            };
            const recorded = record.flexyBooking;
            if (
              recorded?.bookingId !== undefined ||
              recorded?.bookingObjectId !== unconfirmed.bookingObjectId ||
              recorded.startIso !== unconfirmed.startIso ||
              recorded.endIso !== unconfirmed.endIso
            ) {
              record.flexyBooking = unconfirmed;
              await save(false);
            }
            const created = await createFlexyBooking(op.booking);
            record.flexyBooking = {
              bookingId: created,
              bookingObjectId: op.booking.bookingObjectId,
              startIso: op.booking.startIso,
              endIso: op.booking.endIso,
            };
            await save();
            return;
          }
        }
      }

      /**
       * FLEXYKEY: bookings have no uniqueness rule to lean on (no 409), so before creating one we look for
       * a booking with our externalRef that an earlier, interrupted attempt may have left.
       */
      /** The FlexyKey bookings with this booking's externalRef and window (left by a create whose answer was lost). */
      async function findOwnFlexyBookings(booking: StoredFlexyBooking): Promise<(number | string)[]> {
        count('GET /Bookings');
        const existing = await flexykey.bookings.list({
          bookingObjectId: booking.bookingObjectId,
          fromIso: booking.startIso,
          toIso: booking.endIso,
        });
        const ref = externalRef(record.key);
        return existing
          .filter(
            (b) =>
              b.externalRef === ref &&
              sameInstant(b.startIso, booking.startIso) &&
              sameInstant(b.endIso, booking.endIso),
          )
          .map((b) => b.bookingId);
      }

      async function createFlexyBooking(booking: DesiredFlexyBooking): Promise<number | string> {
        const [mine] = await findOwnFlexyBookings(booking);
        if (mine !== undefined) return mine;
        count('POST /Bookings');
        const created = await flexykey.bookings.create({
          bookingObjectId: booking.bookingObjectId,
          startIso: booking.startIso,
          endIso: booking.endIso,
          name: booking.name,
          ...(booking.phone ? { phone: booking.phone } : {}),
          externalRef: booking.externalRef,
        });
        return created.bookingId;
      }

      return { record, unitsToSync: [...unitsToSync].sort((a, b) => a - b), calls };
    },

    /**
     * Ends an apply that will not be finished: its event failed for good part-way (FlexyKey refused a
     * call, the plan was rejected on a retry), or a reconcile repair gave up. The record keeps what
     * exists (each call's save wrote it) but is no longer `applying` — a unit's confirmation would
     * otherwise wait for it forever — and carries `failure`, so the booking is not announced as synced
     * while its units hold only part of the change. Returns the record as it now is.
     */
    async abandon(
      key: string,
      failure: string,
      stillOwner?: () => boolean,
      fence?: WriteFence,
    ): Promise<StoredBooking | undefined> {
      const record = await bookings.get(key);
      if (!record?.applying) return record;
      // Entries recorded before a create that was refused or never made: each is looked up on its unit,
      // recorded with its row id if it is there, dropped if not (kept as it is if the lookup fails).
      const entries: StoredEntry[] = [];
      const dropped: StoredEntry[] = [];
      for (const entry of record.entries) {
        if (entry.entryId !== undefined) {
          entries.push(entry);
          continue;
        }
        try {
          const row = await liveRowHolding(flexykey, entry.unitId, entry.idNumber);
          if (row?.description === entry.description) entries.push({ ...entry, entryId: row.id });
          else dropped.push(entry);
        } catch (error) {
          logger.warn({ err: error, unitId: entry.unitId }, 'could not look up an unconfirmed entry');
          entries.push(entry);
        }
      }
      if (stillOwner && !stillOwner()) throw new LeaseLostError(key);
      const abandoned: StoredBooking = {
        ...record,
        entries,
        applying: false,
        failure,
        updatedIso: deps.now().toISOString(),
      };
      await fenced(key, bookings.put(abandoned, { indexed: true, fence }));
      for (const entry of dropped) await releaseUnusedClaims(units, key, entries, entry.unitId, entry);
      return abandoned;
    },
  };
}

export type Applier = ReturnType<typeof createApplier>;
