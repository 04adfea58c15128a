import { setTimeout as delay } from 'node:timers/promises';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { keepLeaseAlive, type LeaseManager } from '../coordination';
import type { StoredBooking } from '../domain';
import type { FlexyKeyClient, UnitIdEntry } from '../flexykey';
import type { Logger } from '../logging';
import type { BookingStore, UnitStore } from '../store';
import { type BackoffPolicy, backoffMs } from './backoff';
import type { PublishOutcome } from './booking-outcomes';
import { unitSyncPayloadSchema } from './queues';
import { isApiTrouble, runUnitSync, type SyncOutcome, type UnitSyncTiming } from './run-unit-sync';

export interface UnitSyncRetryPolicy {
  /** Failed syncs in a row before the unit is reported unreachable. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Once unreachable, how often the unit is tried again (it is never forgotten). */
  unreachableRetryMs: number;
}

export interface UnitSyncProcessorDeps {
  flexykey: FlexyKeyClient;
  bookings: BookingStore;
  units: UnitStore;
  leases: LeaseManager;
  publishOutcome: PublishOutcome;
  logger: Logger;
  timing: UnitSyncTiming;
  /** Shortest time from one push of a unit to the next; a sync asked for sooner waits (delayed job). */
  minPushIntervalMs: number;
  retry: UnitSyncRetryPolicy;
  /** Asks for one more sync of the unit (rows changed while this one ran). */
  requestSync: (unitId: number, reason: string) => Promise<void>;
  /** TTL of the per-unit lease, renewed while the sync runs; a crashed holder frees the unit after it. */
  leaseTtlMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Aborted when the process shuts down: running syncs are handed back to the queue at once. */
  stopping?: AbortSignal;
  /** Told how every sync attempt ended (metrics), failed ones included. */
  onSyncFinished?: (sync: { unitId: number; result: string; pushes: number; durationMs: number }) => void;
}

export interface UnitSyncJobResult {
  unitId: number;
  result: SyncOutcome['result'];
  pushes: number;
  /** Bookings whose change this sync confirmed on the unit. */
  confirmed: number;
}

/** A sleep that ends early when `signal` aborts (so a shutdown does not wait out a poll interval). */
function abortableSleep(signal: AbortSignal | undefined) {
  // node's timer rejects with an AbortError when the signal fires: here that just ends the wait.
  return (ms: number) => delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}

/**
 * The unit-sync job: at most one sync per unit at a time across every process (a fenced lease on top of
 * the queue's one-job-per-unit deduplication), PushChanges and poll until done, then confirm on the
 * server that the rows of the bookings waiting for this unit are Synced. Failures Abort and retry with
 * backoff without spending BullMQ attempts; after `maxAttempts` the unit is reported unreachable and
 * tried again every `unreachableRetryMs`, so no change is ever dropped. Trouble of FlexyKey itself
 * (429, 5xx, timeouts, connection errors) and any other error is not a failure of the unit: the job is
 * delayed (at least `Retry-After`) and runs again. A job only ever fails for an invalid payload.
 */
export function createUnitSyncProcessor(deps: UnitSyncProcessorDeps) {
  const sleep = deps.sleep ?? abortableSleep(deps.stopping);
  const now = deps.now ?? (() => new Date());
  const leaseTtlMs = deps.leaseTtlMs;
  /** Runs of each unit in a row that an error interrupted (in this process): paces their retries. */
  const interruptions = new Map<number, number>();

  const processUnitSync = async (job: Job, token?: string): Promise<UnitSyncJobResult> => {
    const payload = unitSyncPayloadSchema.safeParse(job.data);
    if (!payload.success) throw new UnrecoverableError(`invalid unit-sync payload: ${payload.error.message}`);
    const { unitId } = payload.data;
    const logger = deps.logger.child({ jobId: job.id, unitId });
    try {
      return await syncUnit(job, token, unitId, logger);
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      // FlexyKey or Redis trouble, or a bug: the unit is never left without a job (unit-sync jobs have
      // one BullMQ attempt). Whatever this run did not finish, the next one pushes or confirms again.
      const count = (interruptions.get(unitId) ?? 0) + 1;
      interruptions.set(unitId, count);
      const retryAfterMs = isApiTrouble(error) ? (error.retryAfterMs ?? 0) : 0;
      const retryInMs = Math.max(backoffMs(count, deps.retry.backoff), retryAfterMs);
      logger.warn({ err: error, retryInMs }, 'unit sync interrupted by an error; will retry');
      await job.moveToDelayed(Date.now() + retryInMs, token);
      throw new DelayedError();
    }
  };

  /** One run of the unit-sync job of `unitId`; what it throws (but a DelayedError) is retried later. */
  async function syncUnit(
    job: Job,
    token: string | undefined,
    unitId: number,
    logger: Logger,
  ): Promise<UnitSyncJobResult> {
    const lease = await deps.leases.tryAcquire(`unit:${unitId}`, leaseTtlMs);
    if (!lease) {
      // Another process syncs this unit right now (possible only around a stalled job): come back later.
      await job.moveToDelayed(Date.now() + Math.min(deps.timing.pollIntervalMs, 5_000), token);
      throw new DelayedError();
    }
    const keepAlive = keepLeaseAlive(lease, leaseTtlMs);
    const started = Date.now();
    try {
      // The unit's state as this sync begins (only the holder of the unit's lease changes it).
      const before = await deps.units.state(unitId);
      // Pacing: changes that arrive soon after a push wait a little and then travel together.
      const pushAllowedAt = before.lastPushIso ? Date.parse(before.lastPushIso) + deps.minPushIntervalMs : 0;
      if (pushAllowedAt > Date.now()) {
        await job.moveToDelayed(pushAllowedAt, token);
        throw new DelayedError();
      }
      const snapshot = await deps.units.awaiting(unitId);
      await deps.units.updateState(unitId, { syncing: true, progressPercent: 0 });
      let outcome: SyncOutcome;
      // Counted as they are answered: a run that ends in an error may have pushed already.
      let pushes = 0;
      try {
        outcome = await runUnitSync(unitId, deps.timing, {
          flexykey: deps.flexykey,
          logger,
          sleep,
          now: () => now().getTime(),
          stillOwner: () => keepAlive.held(),
          onPushed: async () => {
            pushes++;
            await deps.units.updateState(unitId, { lastPushIso: now().toISOString() });
          },
          ...(deps.stopping ? { stopping: deps.stopping } : {}),
          onProgress: async (status) => {
            const percent = status.progressPercent ?? 0;
            await job.updateProgress({ unitId, percent, state: status.state });
            await deps.units.updateState(unitId, { progressPercent: percent });
          },
        });
      } catch (error) {
        if (isApiTrouble(error)) {
          // FlexyKey throttled us or failed (a push that may or may not have started a sync included):
          // nothing is known about the unit's sync, which may be healthy. No Abort, no failure counted;
          // the job is delayed (at least Retry-After) by processUnitSync, and the next run waits for a
          // sync still in progress before it pushes.
          await deps.units.incrementPushesBy(unitId, pushes);
          deps.onSyncFinished?.({ unitId, result: 'error', pushes, durationMs: Date.now() - started });
          await deps.units.updateState(unitId, {
            lastResult: 'error',
            lastSyncIso: now().toISOString(),
            lastError: error.message,
          });
          throw error;
        }
        outcome = {
          result: 'failed',
          pushes,
          detail: error instanceof Error ? error.message : String(error),
        };
      }
      await deps.units.incrementPushesBy(unitId, pushes);
      deps.onSyncFinished?.({
        unitId,
        result: outcome.result,
        pushes,
        durationMs: Date.now() - started,
      });

      if (outcome.result === 'handed-back') {
        // Not a failure: no Abort, no backoff. Another worker (or this one after a restart) resumes it.
        logger.info({ detail: outcome.detail }, 'shutting down: sync handed back to the queue');
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (outcome.result === 'lost-lease') {
        // Nobody may have taken over (the lease expired during a long pause, a Redis failover lost it):
        // the job is handed back rather than completed. If another process does hold the unit, the
        // lease check at the start of the job makes this one wait its turn.
        logger.warn('lost the unit lease mid-sync; handing the job back');
        await job.moveToDelayed(Date.now() + Math.min(deps.timing.pollIntervalMs, 5_000), token);
        throw new DelayedError();
      }
      if (outcome.result === 'completed' || outcome.result === 'no-changes') {
        const { confirmed, stillWaiting } = await confirm(unitId, snapshot, logger);
        if (before.unreachable) {
          // Cleared first: a crash before the state below leaves the unit unreachable, cleared again.
          await deps.units.forgetToldUnreachable(unitId);
          logger.info('unit reachable again');
        }
        await deps.units.updateState(unitId, {
          lastResult: outcome.result,
          lastSyncIso: now().toISOString(),
          lastSuccessIso: now().toISOString(),
          failures: 0,
          unreachable: false,
          lastError: '',
          progressPercent: 100,
        });
        if (stillWaiting) await deps.requestSync(unitId, 'rows not yet synced after a completed sync');
        interruptions.delete(unitId);
        logger.info({ result: outcome.result, pushes, confirmed }, 'unit synced');
        return { unitId, result: outcome.result, pushes, confirmed };
      }

      // Failed, timed out, past our deadline, or refused by FlexyKey (e.g. 404): Abort (guide: before
      // pushing again), back off.
      try {
        await deps.flexykey.unitSync.abort({ unitId });
      } catch (error) {
        logger.warn({ err: error }, 'abort after a failed sync did not succeed');
      }
      const failures = before.failures + 1;
      const unreachable = failures >= deps.retry.maxAttempts;
      await deps.units.updateState(unitId, {
        lastResult: outcome.result,
        lastSyncIso: now().toISOString(),
        lastError: outcome.detail,
        failures,
        unreachable,
        ...(unreachable && !before.unreachable ? { unreachableSinceIso: now().toISOString() } : {}),
      });
      interruptions.delete(unitId);
      if (unreachable) {
        if (before.unreachable) {
          logger.warn({ failures, detail: outcome.detail }, 'unreachable unit failed again; will retry');
        } else {
          logger.error({ failures, detail: outcome.detail }, 'unit unreachable; retrying it periodically');
        }
        // Every attempt while it stays unreachable: bookings that started waiting since are told too.
        await reportUnreachable(
          unitId,
          `unit ${unitId} unreachable after ${failures} attempts: ${outcome.detail}`,
          logger,
        );
      } else {
        logger.warn({ failures, result: outcome.result, detail: outcome.detail }, 'sync failed; will retry');
      }
      const delay = unreachable ? deps.retry.unreachableRetryMs : backoffMs(failures, deps.retry.backoff);
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    } finally {
      keepAlive.stop();
      await deps.units.updateState(unitId, { syncing: false }).catch(() => {});
      await lease.release().catch(() => {});
    }
  }

  /**
   * Announces what a process that died mid-confirmation left noted (the worker runs it every few
   * seconds, whether or not any unit syncs: the bookings concerned may have no sync coming). Bookings
   * claimed more than `staleClaimMs` ago and still not announced were claimed by a process that died
   * before publishing: they are taken back and announced (at least once).
   */
  const sweepAnnouncements = async ({ staleClaimMs = 30_000 }: { staleClaimMs?: number } = {}) => {
    const reclaimed = await deps.units.reclaimStaleAnnouncements(staleClaimMs);
    if (reclaimed.length > 0) {
      deps.logger.warn({ bookings: reclaimed.length }, 'announcing again what a stopped process had claimed');
    }
    await announce(await deps.units.pendingAnnouncements());
  };

  return Object.assign(processUnitSync, { sweepAnnouncements });

  /**
   * Confirms, from the server's rows, which waiting bookings' changes the unit now holds, clears them
   * (unless they changed again meanwhile) and announces the bookings no unit waits for any more. The
   * records are read before the generations (issued first on the same connection): the applier bumps
   * the generation before it changes anything, so an unchanged generation means the record read is
   * what was pushed. Whatever the order, clearing compares the generation seen, so a booking changed
   * meanwhile keeps waiting.
   */
  async function confirm(unitId: number, snapshot: ReadonlyMap<string, string>, logger: Logger) {
    if (snapshot.size === 0) return { confirmed: 0, stillWaiting: false };
    const rows = await deps.flexykey.unitIdEntries.listAll({ unitId });
    const byId = new Map<string, UnitIdEntry>(rows.map((row) => [String(row.id), row]));
    // FLEXYKEY: a row missing `syncState` is taken as synced once the sync completed.
    const isSynced = (row: UnitIdEntry | undefined) =>
      row !== undefined && (row.syncState ?? 'Synced') === 'Synced';
    const deletionsPending = rows.some((row) => row.syncState === 'PendingDelete');

    const bookingKeys = [...snapshot.keys()];
    const [records, generations] = await Promise.all([
      readRecords(bookingKeys, logger),
      deps.units.awaitingGenerations(unitId, bookingKeys),
    ]);
    const confirmed = new Map<string, string>();
    let beingApplied = 0;
    // Unreadable records (logged) keep waiting, but another sync would not make them readable.
    let unreadable = 0;
    bookingKeys.forEach((bookingKey, index) => {
      const generation = snapshot.get(bookingKey) as string;
      const record = records[index];
      if (record === null) {
        unreadable++;
        return;
      }
      if (generations[index] !== generation) return;
      // Its change is still being made (a create may land after our push): its bookings job asks for
      // the sync that confirms it, once the change is on the server.
      if (record?.applying) {
        beingApplied++;
        return;
      }
      const entry = record?.entries.find((e) => e.unitId === unitId);
      // An entry without a row id on a record no longer being applied was left by an abandoned change
      // (see Applier.abandon): nothing will ever confirm it, so its mark goes once the unit was pushed.
      const arrived = entry
        ? entry.entryId === undefined
          ? record?.failure !== undefined
          : isSynced(byId.get(String(entry.entryId)))
        : !deletionsPending;
      if (arrived) confirmed.set(bookingKey, generation);
    });
    // Noted before clearing, so a crash between clearing and announcing still announces (at least once).
    await deps.units.noteToAnnounce([...confirmed.keys()]);
    const cleared = await deps.units.clearAwaiting(unitId, confirmed);
    const confirmedRecords = new Map(
      bookingKeys.flatMap((bookingKey, index) => {
        const record = records[index];
        return confirmed.has(bookingKey) && record ? [[bookingKey, record] as const] : [];
      }),
    );
    await announce([...confirmed.keys()], unitId, confirmedRecords);
    const notYetSynced = snapshot.size - confirmed.size - beingApplied - unreadable;
    if (notYetSynced > 0) logger.info({ waiting: notYetSynced }, 'some rows are not synced yet');
    return { confirmed: cleared.length, stillWaiting: notYetSynced > 0 };
  }

  /**
   * The records of `bookingKeys`, read together (one round trip): undefined where there is none, null
   * where it is unreadable (logged; such a booking is neither confirmed nor announced).
   */
  async function readRecords(bookingKeys: readonly string[], logger: Logger) {
    const records: (StoredBooking | null | undefined)[] = [];
    for (const [bookingKey, record] of await deps.bookings.getMany(bookingKeys)) {
      if (record instanceof Error) {
        logger.error({ booking: bookingKey, err: record.message }, 'unreadable booking record');
        records.push(null);
      } else {
        records.push(record);
      }
    }
    return records;
  }

  /**
   * Announces each booking that no unit waits for any more — synced, or revoked when nothing of it is
   * left — once: concurrent confirmations of its units race to claim it, and only the caller that moves
   * it from the noted set to the announcing one publishes. A booking whose latest event failed part-way
   * (`failure`) is not announced synced (its units hold only part of the change). `unitId` names the
   * unit that confirmed last, for a revocation. `confirmedRecords` are records the caller read before
   * confirming their generation: what the units hold, so they are announced as read (a change begun
   * since keeps its unit waiting, and is announced after its own sync); the others are read here.
   * What cannot be announced now (still being applied, unreadable, or publishing failed) is noted again.
   */
  async function announce(
    bookingKeys: readonly string[],
    unitId?: number,
    confirmedRecords: ReadonlyMap<string, StoredBooking> = new Map(),
  ): Promise<void> {
    const claim = await deps.units.claimAnnounceable(bookingKeys);
    const ready = claim.bookingKeys;
    if (ready.length === 0) return;
    const done: string[] = [];
    const again: string[] = [];
    try {
      const unread = ready.filter((bookingKey) => !confirmedRecords.has(bookingKey));
      const fresh = await readRecords(unread, deps.logger);
      const records = new Map<string, StoredBooking | null | undefined>(confirmedRecords);
      for (const [index, bookingKey] of unread.entries()) records.set(bookingKey, fresh[index]);
      const published = await Promise.allSettled(
        ready.map(async (bookingKey) => {
          const record = records.get(bookingKey);
          // Still being applied: the bookings job announces it when it finishes (see applyPlan).
          if (record === null || record?.applying) {
            again.push(bookingKey);
            return;
          }
          if (record?.entries.length === 0) {
            await deps.publishOutcome(record, 'revoked', {
              units: unitId === undefined ? [] : [{ unitId, state: 'removed' }],
            });
          } else if (record?.failure) {
            deps.logger.info(
              { booking: bookingKey },
              'not announced synced: its latest event failed part-way',
            );
          } else if (record) {
            await deps.publishOutcome(record, 'synced');
          }
          done.push(bookingKey);
        }),
      );
      const failed = published.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      // Whatever was neither announced nor kept back is noted again (an error on the way included).
      const handled = new Set([...done, ...again]);
      again.push(...ready.filter((bookingKey) => !handled.has(bookingKey)));
      await deps.units.endAnnouncing(claim.at, done);
      await deps.units.endAnnouncing(claim.at, again, true);
    }
  }

  /**
   * Tells each booking waiting for the unreachable unit, once per change of it (`failed`, the unit
   * `unreachable`): those that waited when it became unreachable, and those that started waiting since.
   * Noted after publishing (at least once). An unreadable record is logged and skipped.
   */
  async function reportUnreachable(unitId: number, reason: string, logger: Logger) {
    const waiting = await deps.units.awaiting(unitId);
    const untold = await deps.units.notToldUnreachable(unitId, waiting);
    if (untold.length === 0) return;
    const records = await readRecords(untold, logger);
    const told = new Map<string, string>();
    for (const [index, bookingKey] of untold.entries()) {
      const record = records[index];
      if (record === null) continue;
      if (record) {
        await deps.publishOutcome(record, 'failed', {
          reason,
          units: [{ unitId, state: 'unreachable', detail: reason }],
        });
      }
      told.set(bookingKey, waiting.get(bookingKey) as string);
    }
    await deps.units.toldUnreachable(unitId, told);
  }
}
