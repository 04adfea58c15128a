import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { DateTime } from 'luxon';
import {
  type Applier,
  IdNumberTakenError,
  LeaseLostError,
  OwnEntryFoundError,
  planAroundTaken,
  removeUnrecordedRows,
} from '../applier';
import { keepLeaseAlive, type LeaseManager } from '../coordination';
import {
  type BookingEvent,
  bookingKey,
  parseBookingEvent,
  type ResolvedResource,
  type StoredBooking,
} from '../domain';
import { type FlexyKeyClient, FlexyKeyError, FlexyKeyRateLimitError } from '../flexykey';
import type { Logger } from '../logging';
import { mergeUnitsInUse, type PlannedPlan, planBooking, type RandomInt, type UnitsInUse } from '../planner';
import type { BookingStore, UnitStore, WriteFence } from '../store';
import { type BackoffPolicy, backoffMs } from './backoff';
import type { PublishOutcome } from './booking-outcomes';

export interface BookingProcessorDeps {
  flexykey: FlexyKeyClient;
  applier: Applier;
  bookings: BookingStore;
  units: UnitStore;
  leases: LeaseManager;
  publishOutcome: PublishOutcome;
  logger: Logger;
  /** The resource with defaults applied, or undefined when the configuration does not know it. */
  resolveResource: (key: string) => ResolvedResource | undefined;
  /** Whether an entry description marks the entry as flexysync's (any configured tag). */
  isOwnedDescription: (description: string | null | undefined) => boolean;
  /** Asks for a sync of a unit whose data changed. */
  requestSync: (unitId: number, reason: string) => Promise<void>;
  randomInt: RandomInt;
  /** Backoff for transient failures (FlexyKey down, 5xx); such events are retried, never dropped. */
  backoff: BackoffPolicy;
  /** How long a unit's hand-made entries, once read, are trusted before they are read again. */
  foreignScanTtlMs: number;
  /** TTL of the per-booking lease, renewed while the event is applied. */
  leaseTtlMs: number;
  now?: () => Date;
}

export interface BookingJobResult {
  key: string;
  outcome: 'applied' | 'skipped' | 'revoked';
  detail?: string;
  unitsToSync?: number[];
  calls?: Record<string, number>;
}

/** This process's hold on the booking's lease: checked before each call, and by each record write. */
interface Ownership {
  stillOwner: () => boolean;
  fence: WriteFence;
}

const SCANNED_MEMO_MS = 60_000;
/** Plans tried against claims found taken (a PIN raced for, an idNumber held on the unit) before giving up. */
const PLAN_ATTEMPTS = 4;

/** Where this job stands in the order of events of one booking: the order they were enqueued in. */
function jobOrder(job: Job): { at: number; jobId?: string } {
  return { at: job.timestamp, ...(job.id ? { jobId: job.id } : {}) };
}

function isOlder(
  order: { at: number; jobId?: string },
  last: { at: number; jobId?: string } | undefined,
): boolean {
  if (!last) return false;
  if (order.at !== last.at) return order.at < last.at;
  // Same millisecond: BullMQ's own ids are increasing integers; custom ids cannot be ordered.
  const a = Number(order.jobId);
  const b = Number(last.jobId);
  return Number.isInteger(a) && Number.isInteger(b) && a < b;
}

/**
 * The bookings job: validates a BookingEvent, and — one event per booking at a time, in enqueue order —
 * plans it against what is recorded, applies the plan to the FlexyKey server and asks for the touched
 * units to be synced. Bad input fails at once with field-level reasons (the failed set is the dead-letter
 * place); transient trouble is retried with backoff for as long as it lasts, so an accepted event is
 * never lost, whatever attempts the producer set.
 */
export function createBookingProcessor(deps: BookingProcessorDeps) {
  const now = deps.now ?? (() => new Date());
  /** Units this process recently saw scanned (saves a Redis read per booking; the scan TTL is far longer). */
  const scannedUntil = new Map<number, number>();

  return async function processBooking(job: Job, token?: string): Promise<BookingJobResult> {
    const parsed = parseBookingEvent(job.data);
    if (!parsed.ok) {
      const reasons = parsed.errors;
      deps.logger.warn({ jobId: job.id, reasons }, 'rejected an invalid BookingEvent');
      const data = (job.data ?? {}) as Partial<Record<string, unknown>>;
      if (typeof data.source === 'string' && typeof data.externalId === 'string') {
        await deps.publishOutcome(
          { source: data.source, externalId: data.externalId, entries: [] },
          'failed',
          { reason: `invalid event: ${reasons.join('; ')}` },
        );
      }
      throw new UnrecoverableError(`invalid BookingEvent: ${reasons.join('; ')}`);
    }
    const event = parsed.event;
    const key = bookingKey(event);
    const logger = deps.logger.child({ jobId: job.id, booking: key, source: event.source });

    const lease = await deps.leases.tryAcquire(`booking:${key}`, deps.leaseTtlMs);
    if (!lease) {
      // Another event of this booking is being applied; this one waits its turn.
      await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 200), token);
      throw new DelayedError();
    }
    const keepAlive = keepLeaseAlive(lease, deps.leaseTtlMs);
    try {
      return await applyEvent(job, event, key, logger, {
        stillOwner: () => keepAlive.held(),
        fence: lease.guard,
      });
    } catch (error) {
      if (error instanceof DelayedError || error instanceof UnrecoverableError) throw error;
      if (error instanceof FlexyKeyError && !isTransient(error)) {
        const reason = `FlexyKey refused a change (${error.code}${error.statusCode ? ` ${error.statusCode}` : ''}): ${error.message}`;
        logger.error({ err: error }, 'booking failed');
        // Awaited here, not returned: the lease must still be held while the change is abandoned.
        return await failForGood(event, key, reason, logger, {
          stillOwner: () => keepAlive.held(),
          fence: lease.guard,
        });
      }
      if (error instanceof LeaseLostError) {
        await removeUnrecordedRows({ ...deps, logger }, key, error.unrecorded).catch((cleanup: unknown) =>
          logger.warn({ err: cleanup }, 'could not remove rows created after the lease was lost'),
        );
      }
      const delay =
        error instanceof FlexyKeyRateLimitError && error.retryAfterMs
          ? error.retryAfterMs
          : backoffMs(job.attemptsStarted, deps.backoff);
      logger.warn({ err: error, retryInMs: delay }, 'transient failure; the event will be retried');
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    } finally {
      keepAlive.stop();
      await lease.release().catch(() => {});
    }
  };

  async function applyEvent(
    job: Job,
    event: BookingEvent,
    key: string,
    logger: Logger,
    owner: Ownership,
  ): Promise<BookingJobResult> {
    let previous = await deps.bookings.get(key);
    const order = jobOrder(job);
    if (event.revision === undefined && isOlder(order, previous?.lastEvent)) {
      logger.info('skipped: an event of this booking enqueued later was already applied');
      return { key, outcome: 'skipped', detail: 'older than the last applied event' };
    }
    const resource = deps.resolveResource(event.resource);
    const unitIds = [
      ...new Set([
        ...(resource?.units ?? []).map((u) => u.unitId),
        ...(previous?.entries ?? []).map((e) => e.unitId),
      ]),
    ];
    await scanForeignEntries(unitIds);

    // Codes and idNumbers found taken while applying (claimed by another booking meanwhile, or held on
    // the unit by an entry we do not own) are planned around on the next attempt.
    return planAroundTaken({
      attempts: PLAN_ATTEMPTS,
      attempt: async (taken) => {
        const plan = await planAgainstClaims(event, resource, previous, unitIds, key, taken);
        if (plan.kind === 'skipped') {
          logger.info({ reason: plan.reason }, 'skipped');
          return { key, outcome: 'skipped', detail: plan.reason };
        }
        if (plan.kind === 'rejected') {
          logger.warn({ reasons: plan.reasons }, 'booking rejected');
          return failForGood(event, key, plan.reasons.join('; '), logger, owner);
        }
        return applyPlan(plan, previous, event, key, order, logger, owner);
      },
      onTaken: async (error) => {
        if (error instanceof IdNumberTakenError) {
          logger.info(
            { unitId: error.unitId },
            'idNumber taken on the unit by another entry; planning around it',
          );
        } else {
          logger.info(
            { units: [...error.taken.keys()] },
            'a chosen code or idNumber is taken; planning again',
          );
        }
        // A claim refused writes nothing; an idNumber found taken may follow writes of this attempt.
        previous = await deps.bookings.get(key);
      },
      recover: async (error) => {
        if (!(error instanceof OwnEntryFoundError)) return false;
        logger.warn(
          { unitId: error.unitId, entryId: error.row.id },
          'record lost; adopting the entry the unit holds',
        );
        previous = recoveredRecord(await deps.bookings.get(key), error, event, key);
        return true;
      },
    });
  }

  /**
   * Fails the event for good: an apply it left half-way is abandoned (see `Applier.abandon`), the units
   * it already changed are synced (each door then holds what the server holds), and `failed` is
   * published. Throws the UnrecoverableError that ends the job.
   */
  async function failForGood(
    event: BookingEvent,
    key: string,
    reason: string,
    logger: Logger,
    owner: Ownership,
  ): Promise<never> {
    let record: StoredBooking | undefined;
    try {
      record = await deps.applier.abandon(key, reason, owner.stillOwner, owner.fence);
    } catch (error) {
      logger.warn({ err: error }, 'could not mark the booking’s unfinished change as abandoned');
    }
    const awaiting = await deps.units.awaitingUnitsOf(key).catch(() => []);
    await Promise.all(awaiting.map((unitId) => deps.requestSync(unitId, `booking ${key} (failed)`)));
    await deps.publishOutcome(record ?? { ...event, entries: [] }, 'failed', { reason });
    throw new UnrecoverableError(reason);
  }

  /**
   * Plans with only the claims that matter read from Redis (HMGET of the booking's known codes and
   * idNumbers) instead of every claim of every unit. What the plan then chooses (a fresh random PIN) is
   * claimed atomically by the applier, which reports anything taken meanwhile (ClaimsTakenError).
   */
  async function planAgainstClaims(
    event: BookingEvent,
    resource: ResolvedResource | undefined,
    previous: StoredBooking | undefined,
    unitIds: readonly number[],
    key: string,
    taken: UnitsInUse,
  ) {
    const known = (values: (string | undefined)[]) => values.filter((v): v is string => !!v);
    const usage = await deps.units.usageOf(unitIds, key, {
      codes: known([previous?.pin, event.pin, ...(previous?.entries ?? []).map((e) => e.codeTag)]),
      idNumbers: known([event.guest?.phone, ...(previous?.entries ?? []).map((e) => e.idNumber)]),
    });
    return planBooking({
      event,
      resource,
      previous,
      unitsInUse: mergeUnitsInUse(usage, taken),
      now: DateTime.fromJSDate(now()),
      randomInt: deps.randomInt,
    });
  }

  async function applyPlan(
    plan: PlannedPlan,
    previous: StoredBooking | undefined,
    event: BookingEvent,
    key: string,
    order: { at: number; jobId?: string },
    logger: Logger,
    owner: Ownership,
  ): Promise<BookingJobResult> {
    const revision = event.revision ?? previous?.revision;
    const result = await deps.applier.apply({
      plan,
      previous,
      stillOwner: owner.stillOwner,
      fence: owner.fence,
      base: {
        key,
        source: event.source,
        externalId: event.externalId,
        resource: event.resource,
        status: event.status,
        ...(revision === undefined ? {} : { revision }),
        lastEvent: order,
        event,
      },
    });
    // Also units marked by an earlier, interrupted attempt: their change is on the server but unpushed.
    const awaiting = await deps.units.awaitingUnitsOf(key);
    await Promise.all(
      [...new Set([...result.unitsToSync, ...awaiting])].map((unitId) =>
        deps.requestSync(unitId, `booking ${key}`),
      ),
    );
    for (const note of plan.notes) logger.info({ note }, 'planner note');

    // Unit confirmations that ran while the record was still `applying` left the announcement to us.
    if (plan.desired) {
      await deps.publishOutcome(result.record, 'applied');
      if (awaiting.length === 0 && (await deps.units.awaitingUnitsOf(key)).length === 0) {
        await deps.publishOutcome(result.record, 'synced');
        await deps.units.announced(key);
      }
      logger.info({ operations: plan.operations.length, units: result.unitsToSync }, 'applied');
      return { key, outcome: 'applied', unitsToSync: result.unitsToSync, calls: result.calls };
    }
    if ((await deps.units.awaitingUnitsOf(key)).length === 0) {
      // Nothing was on any unit (or its removal is already confirmed): access is gone now.
      await deps.publishOutcome(result.record, 'revoked', { units: [] });
      await deps.units.announced(key);
    }
    logger.info({ operations: plan.operations.length }, 'access removal applied');
    return { key, outcome: 'revoked', unitsToSync: result.unitsToSync, calls: result.calls };
  }

  /** Reads each unit's hand-made entries once per TTL so new PINs and idNumbers never collide with them. */
  async function scanForeignEntries(unitIds: readonly number[]): Promise<void> {
    const unknown = unitIds.filter((unitId) => (scannedUntil.get(unitId) ?? 0) <= Date.now());
    const scanned = await Promise.all(unknown.map((unitId) => deps.units.wasScanned(unitId)));
    for (const [index, unitId] of unknown.entries()) {
      if (scanned[index]) {
        scannedUntil.set(unitId, Date.now() + Math.min(SCANNED_MEMO_MS, deps.foreignScanTtlMs));
        continue;
      }
      const rows = await deps.flexykey.unitIdEntries.listAll({ unitId });
      const foreign = rows
        .filter((row) => row.syncState !== 'PendingDelete' && !deps.isOwnedDescription(row.description))
        .map((row) => ({ code: row.codeTag ?? undefined, idNumber: row.idNumber }));
      await deps.units.recordForeign(unitId, foreign, deps.foreignScanTtlMs);
      scannedUntil.set(unitId, Date.now() + Math.min(SCANNED_MEMO_MS, deps.foreignScanTtlMs));
    }
  }
}

/** The booking's record rebuilt around its entry found on a unit (its PIN is what the door knows). */
function recoveredRecord(
  current: StoredBooking | undefined,
  found: OwnEntryFoundError,
  event: BookingEvent,
  key: string,
): StoredBooking {
  const { row, unitId } = found;
  const others = (current?.entries ?? []).filter((entry) => entry.unitId !== unitId);
  return {
    key,
    source: event.source,
    externalId: event.externalId,
    resource: event.resource,
    status: event.status,
    updatedIso: new Date().toISOString(),
    ...(current ?? {}),
    pin: row.codeTag as string,
    entries: [
      ...others,
      {
        unitId,
        entryId: row.id,
        idNumber: row.idNumber,
        action: row.action,
        name: row.name ?? '',
        description: row.description ?? '',
        codeTag: row.codeTag as string,
        validFromIso: row.validFromIso ?? '',
        validToIso: row.validToIso ?? '',
      },
    ],
  };
}

/**
 * Worth retrying the whole event later: the API or the network is in trouble, or credentials are being
 * rotated. Unlike the client's `retryable` (safe to resend one request as is), this also covers a create
 * whose answer was lost: the retry re-plans and adopts what landed, so nothing is duplicated.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'connection_refused',
  'connection_reset',
  'timeout',
  'server_error',
  'rate_limited',
  'unauthorized',
  'invalid_response',
  'unexpected_status',
]);

function isTransient(error: FlexyKeyError): boolean {
  return error.retryable || TRANSIENT_CODES.has(error.code);
}
