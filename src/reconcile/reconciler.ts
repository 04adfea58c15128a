import { DateTime } from 'luxon';
import { type Applier, LeaseLostError, planAroundTaken, removeUnrecordedRows } from '../applier';
import { keepLeaseAlive, type LeaseManager } from '../coordination';
import type { ResolvedResource, StoredBooking, StoredEntry } from '../domain';
import { type FlexyKeyClient, FlexyKeyNotFoundError } from '../flexykey';
import type { PublishOutcome } from '../jobs';
import type { Logger } from '../logging';
import { mergeUnitsInUse, planBooking, type RandomInt } from '../planner';
import {
  type BookingStore,
  CorruptRecordError,
  FOREIGN_OWNER,
  type RecordEntries,
  type UnitStore,
} from '../store';
import { isForgettable, mayBeForgettable } from './ended-records';
import {
  type ActualRow,
  type Drift,
  planUnit,
  type RecordedEntry,
  type UnitReconcilePlan,
} from './unit-plan';

export interface ReconcilerDeps {
  flexykey: FlexyKeyClient;
  applier: Applier;
  bookings: BookingStore;
  units: UnitStore;
  leases: LeaseManager;
  publishOutcome: PublishOutcome;
  logger: Logger;
  resolveResource: (key: string) => ResolvedResource | undefined;
  isOwnedDescription: (description: string | null | undefined) => boolean;
  /** Every unit of the configuration (also those with no booking yet). */
  configuredUnits: readonly number[];
  requestSync: (unitId: number, reason: string) => Promise<void>;
  randomInt: RandomInt;
  /** How long after a booking's access ended its entries are removed. */
  expiredGraceMs: number;
  /**
   * How long after a booking's access ended (and nothing of it is left on a server) its record is
   * forgotten: its revision, PIN and guest details are deleted from Redis.
   */
  forgetEndedAfterMs: number;
  /** Largest share of a unit's owned entries orphan deletions may remove without `force`. */
  maxDeleteShare: number;
  leaseTtlMs: number;
}

export interface ReconcileOptions {
  dryRun: boolean;
  /**
   * Plan as of this moment (what expires, what windows are wanted). @default now
   * Applied (not a dry run), a moment other than the present deletes guests as expired or not yet
   * due: the CLI allows it only with `--dry-run`; tests use it as a clock.
   */
  now?: DateTime;
  /** Apply orphan deletions even past the blast-radius guard. */
  force?: boolean;
  /** Only these units. @default every configured and recorded unit */
  unitIds?: readonly number[];
}

export interface ReconcileReport {
  dryRun: boolean;
  nowIso: string;
  units: UnitReconcilePlan[];
  /**
   * Records of bookings that ended more than the retention ago and have nothing left on a server: a
   * full reconcile (every unit) forgets them; a dry run only counts them.
   */
  endedRecords: number;
  /**
   * Bookings whose latest change failed part-way (the record's `failure`): a full reconcile plans each
   * again from its last event, so a cancellation's surviving entry is removed and a move's missing one
   * created; a dry run lists them.
   */
  unsettled: { bookingKey: string; failure: string }[];
  /** What was done (all zero on a dry run). */
  applied: { bookingsRepaired: number; orphansDeleted: number; recordsForgotten: number; skipped: string[] };
}

/** Plans tried per repaired booking when the applier finds a chosen code or idNumber taken. */
const REPAIR_ATTEMPTS = 3;

/** Records read from Redis at once while reconciling. */
const RECORD_BATCH = 250;

type BookingCorrection = Extract<Drift, { kind: 'missing' | 'drifted' | 'expired' }> & { unitId: number };

/**
 * Reconciliation: for every unit, what our records want (all sources' bookings end up as records)
 * against what the unit's server-side list holds (read once per unit, all pages), as a plan per unit;
 * then, unless it is a dry run, repairs each affected booking through the planner and the same applier
 * as a booking event (so a missing entry is created with its booking's PIN, a hand-edited window is put
 * back, an expired booking's entries are removed) and deletes orphaned rows that carry our tag. Rows
 * flexysync did not create are only counted.
 *
 * Memory stays flat with the number of bookings: the records are first read only to learn which
 * bookings are on which unit (their keys are kept, nothing else), then each unit's records are read
 * again just before its rows, and both are let go once the unit is planned.
 */
export function createReconciler(deps: ReconcilerDeps) {
  return {
    async reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
      const now = options.now ?? DateTime.now();
      const forgetCutoffMs = now.toMillis() - deps.forgetEndedAfterMs;
      const { bookingsByUnit, endedCandidates, unsettled } = await indexRecords(
        options.unitIds,
        forgetCutoffMs,
      );
      const endedRecords = await confirmEnded(endedCandidates, forgetCutoffMs);
      const unitIds = (
        options.unitIds ?? [...new Set([...deps.configuredUnits, ...bookingsByUnit.keys()])]
      ).toSorted((a, b) => a - b);

      const plans: UnitReconcilePlan[] = [];
      for (const unitId of unitIds) {
        // The unit's records, then its rows; both are dropped once the unit is planned (a drift keeps
        // what it needs): memory holds one unit at a time, not every booking's entries.
        const recorded = await readRecordedEntries(unitId, bookingsByUnit.get(unitId) ?? [], now);
        // The rows as the client returns them: planUnit reads only the ActualRow fields, no copy needed.
        const rows: readonly ActualRow[] = await deps.flexykey.unitIdEntries.listAll({
          unitId,
          pageSize: 500,
        });
        plans.push(
          planUnit({
            unitId,
            rows,
            recorded,
            isOwnedDescription: deps.isOwnedDescription,
            maxDeleteShare: deps.maxDeleteShare,
            force: options.force === true,
          }),
        );
      }
      const report: ReconcileReport = {
        dryRun: options.dryRun,
        nowIso: now.toISO() ?? now.toString(),
        units: plans,
        endedRecords: endedRecords.length,
        unsettled,
        applied: { bookingsRepaired: 0, orphansDeleted: 0, recordsForgotten: 0, skipped: [] },
      };
      if (options.dryRun) return report;

      const corrections = new Map<string, BookingCorrection[]>();
      for (const plan of plans) {
        for (const drift of plan.drifts) {
          if (drift.kind === 'orphaned') continue;
          const list = corrections.get(drift.bookingKey) ?? [];
          list.push({ ...drift, unitId: plan.unitId });
          corrections.set(drift.bookingKey, list);
        }
      }
      // An unsettled booking is planned again from its last event, with or without drift of its own.
      for (const { bookingKey } of unsettled) {
        if (!corrections.has(bookingKey)) corrections.set(bookingKey, []);
      }
      for (const [bookingKey, list] of corrections) {
        const outcome = await repairBooking(bookingKey, list, now);
        if (outcome === 'repaired') report.applied.bookingsRepaired++;
        else report.applied.skipped.push(`${bookingKey}: ${outcome}`);
      }
      for (const plan of plans) {
        let deleted = 0;
        for (const drift of plan.drifts) {
          if (drift.kind !== 'orphaned') continue;
          const holder = await bookingStillHolding(plan.unitId, drift.idNumber);
          if (holder) {
            report.applied.skipped.push(
              `unit ${plan.unitId} entry ${drift.entryId}: ${holder} holds it (a change in progress); the next reconcile looks again`,
            );
            continue;
          }
          try {
            await deps.flexykey.unitIdEntries.delete({ id: drift.entryId, unitId: plan.unitId });
          } catch (error) {
            if (!(error instanceof FlexyKeyNotFoundError)) throw error;
          }
          deleted++;
        }
        if (deleted > 0) {
          report.applied.orphansDeleted += deleted;
          await deps.requestSync(plan.unitId, 'reconcile: orphaned entries deleted');
        }
      }
      // Only a full reconcile forgets: one limited to some units is a targeted repair.
      if (!options.unitIds) {
        report.applied.recordsForgotten = await forgetEnded(endedRecords, forgetCutoffMs);
      }
      deps.logger.info(
        { units: plans.length, ...report.applied, skipped: report.applied.skipped.length },
        'reconcile applied',
      );
      return report;
    },
  };

  /**
   * Which bookings have an entry on which unit (only `unitIds` when given), and which records may be
   * forgotten by the first test ({@link mayBeForgettable}): every record is read once,
   * RECORD_BATCH at a time, and only its key is kept, not its entries. Keeping every booking's
   * entries until the last unit was planned made a large plan's memory grow with the number of bookings.
   */
  async function indexRecords(
    unitIds: readonly number[] | undefined,
    forgetCutoffMs: number,
  ): Promise<{
    bookingsByUnit: Map<number, string[]>;
    endedCandidates: string[];
    unsettled: ReconcileReport['unsettled'];
  }> {
    const wanted = unitIds ? new Set(unitIds) : undefined;
    const bookingsByUnit = new Map<number, string[]>();
    const endedCandidates: string[] = [];
    const unsettled: ReconcileReport['unsettled'] = [];
    const keys = await deps.bookings.keys();
    for (let offset = 0; offset < keys.length; offset += RECORD_BATCH) {
      await readRecords(keys.slice(offset, offset + RECORD_BATCH), (key, record) => {
        if (mayBeForgettable(record, forgetCutoffMs)) endedCandidates.push(key);
        // Only a full reconcile takes them up: one limited to some units is a targeted repair.
        if (!wanted && record.failure && !record.applying) {
          unsettled.push({ bookingKey: key, failure: record.failure });
        }
        for (const entry of record.entries) {
          if (wanted && !wanted.has(entry.unitId)) continue;
          const list = bookingsByUnit.get(entry.unitId);
          if (!list) bookingsByUnit.set(entry.unitId, [key]);
          // A record's entries are looked at one after the other: a second entry on the same unit
          // finds the key just added.
          else if (list.at(-1) !== key) list.push(key);
        }
      });
    }
    return { bookingsByUnit, endedCandidates, unsettled };
  }

  /**
   * The candidates whose whole record passes {@link isForgettable}, read in full in batches (few once
   * reconciles run regularly: each run forgets what it finds).
   */
  async function confirmEnded(candidates: readonly string[], cutoffMs: number): Promise<string[]> {
    const ended: string[] = [];
    for (let offset = 0; offset < candidates.length; offset += RECORD_BATCH) {
      const records = await deps.bookings.getMany(candidates.slice(offset, offset + RECORD_BATCH));
      for (const [key, record] of records) {
        if (record && !(record instanceof Error) && forgettable(record, cutoffMs)) ended.push(key);
      }
    }
    return ended;
  }

  function forgettable(record: StoredBooking, cutoffMs: number): boolean {
    return isForgettable(record, deps.resolveResource(record.event?.resource ?? record.resource), cutoffMs);
  }

  /**
   * Forgets the records of ended bookings, each under its booking's lease and only if it is still
   * forgettable as it stands then (an event may have arrived since it was read). A booking whose
   * removal has not yet reached every unit is kept until it has: its revocation is still to announce.
   */
  async function forgetEnded(bookingKeys: readonly string[], cutoffMs: number): Promise<number> {
    let forgotten = 0;
    for (const key of bookingKeys) {
      const lease = await deps.leases.tryAcquire(`booking:${key}`, deps.leaseTtlMs);
      if (!lease) continue;
      try {
        if ((await deps.units.awaitingUnitsOf(key)).length > 0) continue;
        if (await deps.bookings.forgetIf(key, (record) => forgettable(record, cutoffMs))) forgotten++;
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error;
      } finally {
        await lease.release().catch(() => {});
      }
    }
    if (forgotten > 0) deps.logger.info({ forgotten }, 'forgot the records of long-ended bookings');
    return forgotten;
  }

  /**
   * What the records of `bookingKeys` say `unitId` holds, read again just before the unit's rows (so
   * each unit is compared with its records as they are now): the entry and whether its booking ended.
   */
  async function readRecordedEntries(
    unitId: number,
    bookingKeys: readonly string[],
    now: DateTime,
  ): Promise<RecordedEntry[]> {
    const recorded: RecordedEntry[] = [];
    for (let offset = 0; offset < bookingKeys.length; offset += RECORD_BATCH) {
      await readRecords(bookingKeys.slice(offset, offset + RECORD_BATCH), (key, record) => {
        const expired =
          record.validToIso !== undefined &&
          Date.parse(record.validToIso) + deps.expiredGraceMs <= now.toMillis();
        // The index's copy of the key instead of the record's (the same text): one string less to keep.
        const bookingKey = record.key === key ? key : record.key;
        for (const entry of record.entries) {
          if (entry.unitId === unitId) recorded.push({ bookingKey, entry, expired });
        }
      });
    }
    return recorded;
  }

  /**
   * Hands each readable record among `bookingKeys` (one MGET) to `visit`, with the key it was read
   * under, one at a time as it is decoded. An unreadable record is logged and skipped; a batch Redis
   * could not read stops the reconcile (skipping it would make its bookings' rows look orphaned).
   */
  async function readRecords(
    bookingKeys: readonly string[],
    visit: (key: string, record: RecordEntries) => void,
  ): Promise<void> {
    const skip = (key: string, error: unknown) =>
      deps.logger.error({ booking: key, err: (error as Error).message }, 'unreadable booking record skipped');
    const records = await deps.bookings.getEntriesMany(bookingKeys);
    for (const [key, record] of records) {
      if (record instanceof Error) skip(key, record);
      else if (record) visit(key, record);
    }
  }

  /**
   * The booking that still holds an "orphaned" row's idNumber, if any: one whose change is being
   * applied right now (its claim comes before its create, its record's entry after), whose record has
   * listed the row since the unit was planned, or whose record is unreadable. Deleting such a row would
   * lock its guest out.
   */
  async function bookingStillHolding(unitId: number, idNumber: string): Promise<string | undefined> {
    const owner = await deps.units.idNumberOwner(unitId, idNumber);
    if (!owner || owner === FOREIGN_OWNER) return undefined;
    let record: StoredBooking | undefined;
    try {
      record = await deps.bookings.get(owner);
    } catch (error) {
      // An unreadable record cannot say the row is not its: leave the row to a person.
      if (error instanceof CorruptRecordError) return `${owner} (unreadable record)`;
      throw error;
    }
    const listed = record?.entries.some((entry) => entry.unitId === unitId && entry.idNumber === idNumber);
    return record?.applying || listed ? owner : undefined;
  }

  /**
   * Plans the booking again from its last event, with `previous` corrected to what the unit really holds
   * (a missing row is no longer "there", a hand-edited row holds its edited values), and applies it like
   * a booking event would be — under the booking's lease, so it never races an event of the same booking.
   */
  async function repairBooking(
    key: string,
    corrections: BookingCorrection[],
    now: DateTime,
  ): Promise<string> {
    const lease = await deps.leases.tryAcquire(`booking:${key}`, deps.leaseTtlMs);
    if (!lease) return 'an event of this booking is being applied; the next reconcile looks again';
    // Renewed while the repair runs (FlexyKey may be slow or answer 429); the applier stops if it is lost.
    const keepAlive = keepLeaseAlive(lease, deps.leaseTtlMs);
    try {
      const read = await deps.bookings.get(key);
      if (!read?.event) return 'no stored event to plan from';
      const event = read.event;
      const resource = deps.resolveResource(event.resource);
      const unitIds = [
        ...new Set([...(resource?.units ?? []).map((u) => u.unitId), ...read.entries.map((e) => e.unitId)]),
      ];
      let record = read;
      // What the applier finds taken on a unit (a row we do not own holding the idNumber, a PIN another
      // booking claimed meanwhile) is planned around on the next attempt, as for a booking event.
      return await planAroundTaken({
        attempts: REPAIR_ATTEMPTS,
        attempt: async (taken) => {
          const previous = correctedPrevious(record, read, corrections);
          const plan = planBooking({
            event,
            resource,
            previous,
            unitsInUse: mergeUnitsInUse(await deps.units.usage(unitIds, key), taken),
            now,
            randomInt: deps.randomInt,
          });
          if (plan.kind !== 'planned')
            return `not planned: ${plan.kind === 'rejected' ? plan.reasons.join('; ') : plan.reason}`;
          const result = await deps.applier.apply({
            plan,
            previous,
            stillOwner: () => keepAlive.held(),
            fence: lease.guard,
            base: {
              key,
              source: record.source,
              externalId: record.externalId,
              resource: record.resource,
              status: record.status,
              ...(record.revision === undefined ? {} : { revision: record.revision }),
              ...(record.lastEvent ? { lastEvent: record.lastEvent } : {}),
              event,
            },
          });
          await Promise.all(
            result.unitsToSync.map((unitId) => deps.requestSync(unitId, `reconcile: ${key}`)),
          );
          if (plan.desired) await deps.publishOutcome(result.record, 'applied');
          return 'repaired';
        },
        onTaken: async () => {
          record = (await deps.bookings.get(key)) ?? record;
        },
      });
    } catch (error) {
      // One booking that cannot be repaired now (FlexyKey trouble, an idNumber taken) never stops the rest.
      const reason = `not repaired: ${(error as Error).message}`;
      deps.logger.warn(
        { booking: key, err: (error as Error).message },
        'reconcile could not repair a booking',
      );
      if (error instanceof LeaseLostError) {
        await removeUnrecordedRows(deps, key, error.unrecorded).catch(() => 0);
      }
      // A repair stopped part-way is not resumed before the next reconcile: what it changed is synced.
      await deps.applier.abandon(key, reason, () => keepAlive.held(), lease.guard).catch(() => undefined);
      const awaiting = await deps.units.awaitingUnitsOf(key).catch(() => []);
      await Promise.all(
        awaiting.map((unitId) => deps.requestSync(unitId, `reconcile: ${key} (not repaired)`)),
      );
      return reason;
    } finally {
      keepAlive.stop();
      await lease.release().catch(() => {});
    }
  }
}

/**
 * The booking's record as the planner's `previous`, with the reconcile's findings applied to the
 * entries still as they were read when the unit was planned (a missing row is no longer "there", a
 * hand-edited row holds its edited values). Entries a failed attempt already changed are taken as
 * recorded: the applier wrote what it did.
 */
function correctedPrevious(
  current: StoredBooking,
  read: StoredBooking,
  corrections: readonly BookingCorrection[],
): StoredBooking {
  const asRead = new Set(read.entries.map((entry) => JSON.stringify(entry)));
  const entries = current.entries.flatMap((entry) => {
    if (!asRead.has(JSON.stringify(entry))) return [entry];
    return isMissing(entry, corrections) ? [] : [correct(entry, corrections)];
  });
  return { ...current, entries };
}

function isMissing(entry: StoredEntry, corrections: readonly BookingCorrection[]): boolean {
  return corrections.some((c) => c.kind === 'missing' && c.unitId === entry.unitId);
}

/** The recorded entry as the unit really holds it, so the planner's diff puts the record's values back. */
function correct(entry: StoredEntry, corrections: readonly BookingCorrection[]): StoredEntry {
  const drift = corrections.find((c) => c.kind === 'drifted' && c.unitId === entry.unitId);
  if (drift?.kind !== 'drifted') return entry;
  const corrected: StoredEntry = { ...entry };
  // A field the unit no longer holds at all becomes '' (in memory only): still a difference to the diff.
  for (const change of drift.changes) corrected[change.field] = change.actual ?? '';
  return corrected;
}

export type Reconciler = ReturnType<typeof createReconciler>;
