import { type FlexyKeyClient, FlexyKeyError, type SyncStatus } from '../flexykey';
import type { Logger } from '../logging';

export interface UnitSyncTiming {
  /** Time between two Status polls; never below the status cache guard. */
  pollIntervalMs: number;
  /** FLEXYKEY: how long GET /UnitSync/Status may keep answering an old snapshot (guide: ~2 s). */
  statusCacheGuardMs: number;
  /** Our own deadline for one sync, from the push to a finished state. */
  deadlineMs: number;
}

export type SyncOutcome =
  | { result: 'completed'; pushes: number }
  | { result: 'no-changes'; pushes: number }
  | {
      result: 'failed' | 'timed-out' | 'deadline' | 'lost-lease' | 'handed-back';
      pushes: number;
      detail: string;
    };

export interface RunUnitSyncDeps {
  flexykey: FlexyKeyClient;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Called after every PushChanges the unit accepted or answered (whatever the status). */
  onPushed?: () => Promise<void> | void;
  /** Called with progress (0–100) while the unit receives packets. */
  onProgress?: (status: SyncStatus) => Promise<void> | void;
  /** Checked before every call: false stops the sync (another process took the unit over). */
  stillOwner?: () => Promise<boolean> | boolean;
  /** Set when the process is shutting down: the sync stops watching and is handed back to the queue. */
  stopping?: AbortSignal;
}

/**
 * FlexyKey or the way to it in trouble (throttled, failing, slow, unreachable), as opposed to the unit:
 * says nothing about the sync, so it is neither Aborted nor counted as a failure of the unit. By code,
 * not `retryable`: a PushChanges answered 5xx is not safe to resend as is, but it is API trouble too.
 */
const API_TROUBLE_CODES: ReadonlySet<string> = new Set([
  'rate_limited',
  'server_error',
  'timeout',
  'connection_refused',
  'connection_reset',
  // Credentials being rotated (the bookings processor waits these out too): not the unit's fault.
  'unauthorized',
]);

export function isApiTrouble(error: unknown): error is FlexyKeyError {
  return error instanceof FlexyKeyError && (error.retryable || API_TROUBLE_CODES.has(error.code));
}

/** How long after the cache guard the first poll waits, so its answer is fresh. */
const FIRST_POLL_MARGIN_MS = 100;
const FINISHED = new Set(['Completed', 'Failed', 'TimedOut', 'Aborted']);
/** How many times a push answered AlreadyRunning is retried (after waiting or aborting) in one run. */
const MAX_ALREADY_RUNNING = 3;

/**
 * One sync of one unit: PushChanges, then poll UnitSync/Status until Completed, Failed, TimedOut or our
 * deadline. Distinguishes a stale cached status from the answer to our push: the first poll waits out
 * the cache guard, and a finished status whose `startedIso` is the one seen before the push (the
 * previous sync's) is not trusted. A poll that meets API trouble ({@link isApiTrouble}) is tried again
 * after max(`Retry-After`, poll interval) until our deadline; past it, that error is thrown (we cannot
 * tell how the sync went). Does not Abort or retry a sync: the caller decides (it owns backoff). Errors
 * of the other calls (status before the push, PushChanges, Abort) are thrown to the caller.
 */
export async function runUnitSync(
  unitId: number,
  timing: UnitSyncTiming,
  deps: RunUnitSyncDeps,
): Promise<SyncOutcome> {
  const { flexykey, logger, sleep, now } = deps;
  const stillOwner = async () => (deps.stillOwner ? await deps.stillOwner() : true);
  const pollEvery = Math.max(timing.pollIntervalMs, timing.statusCacheGuardMs);
  let pushes = 0;

  for (let round = 0; round <= MAX_ALREADY_RUNNING; round++) {
    if (deps.stopping?.aborted) return { result: 'handed-back', pushes, detail: 'shutting down before push' };
    if (!(await stillOwner())) return { result: 'lost-lease', pushes, detail: 'lease lost before push' };
    // A sync already running (one a stopping process handed back, or someone else's) is waited for
    // rather than pushed into (the push would only answer AlreadyRunning). Bounded by our deadline;
    // past it, the push below finds it still running and it is aborted.
    const before = await waitWhileRunning(unitId, pollEvery, timing.deadlineMs, deps);
    if (before === 'stopping')
      return { result: 'handed-back', pushes, detail: 'shutting down while a sync ran' };
    if (before === 'lost-lease') return { result: 'lost-lease', pushes, detail: 'lease lost before push' };
    const staleStartedIso = before.startedIso ?? null;
    const push = await flexykey.unitSync.pushChanges({ unitId });
    pushes++;
    const pushedAt = now();
    await deps.onPushed?.();

    if (push.status === 'NoChanges') return { result: 'no-changes', pushes };
    if (push.status === 'AlreadyRunning') {
      if (round === MAX_ALREADY_RUNNING) break;
      await settleRunningSync(unitId, pollEvery, timing.deadlineMs, deps);
      continue;
    }
    if (push.status !== 'Queued') {
      logger.warn({ unitId, status: push.status }, 'unknown PushChanges status; following it as queued');
    }

    // FLEXYKEY: the first poll goes as soon as the status cache guard is over (guide: "normally 2
    // seconds"): a small change is usually on the unit by then. A cached answer from before the push is
    // recognised below and only costs one more poll interval.
    await sleep(timing.statusCacheGuardMs + FIRST_POLL_MARGIN_MS);
    for (;;) {
      // The unit goes on receiving its packets; whoever takes the job over finds the sync through Status.
      if (deps.stopping?.aborted)
        return { result: 'handed-back', pushes, detail: 'shutting down while polling' };
      if (!(await stillOwner())) return { result: 'lost-lease', pushes, detail: 'lease lost while polling' };
      let status: SyncStatus;
      try {
        status = await flexykey.unitSync.status({ unitId });
      } catch (error) {
        // Throttled or a passing failure of FlexyKey: the sync goes on without us watching it.
        if (!isApiTrouble(error) || now() - pushedAt >= timing.deadlineMs) throw error;
        const waitMs = Math.max(error.retryAfterMs ?? 0, pollEvery);
        logger.warn({ unitId, err: error, retryInMs: waitMs }, 'sync status unavailable; polling again');
        await sleep(waitMs);
        continue;
      }
      // FLEXYKEY: "None" after a queued push can only be a cached pre-push answer (a finished sync is
      // reported until the next push), and so can a finished state with the previous sync's start time.
      const stale =
        status.state === 'None' ||
        (FINISHED.has(status.state) && staleStartedIso !== null && status.startedIso === staleStartedIso);
      if (!stale) {
        if (status.state === 'Completed') return { result: 'completed', pushes };
        if (status.state === 'Failed') return { result: 'failed', pushes, detail: describe(status) };
        if (status.state === 'TimedOut') return { result: 'timed-out', pushes, detail: describe(status) };
        if (status.state === 'Aborted')
          return { result: 'failed', pushes, detail: 'aborted by someone else' };
        await deps.onProgress?.(status);
      }
      if (now() - pushedAt >= timing.deadlineMs) {
        return {
          result: 'deadline',
          pushes,
          detail: `not finished ${timing.deadlineMs} ms after the push (${describe(status)})`,
        };
      }
      await sleep(pollEvery);
    }
  }
  return { result: 'failed', pushes, detail: 'PushChanges kept answering AlreadyRunning' };
}

/**
 * The unit's sync status once no sync is InProgress on it, or the last one seen at `deadlineMs`; or why
 * waiting stopped (this process is stopping, or lost the unit's lease).
 */
async function waitWhileRunning(
  unitId: number,
  pollEvery: number,
  deadlineMs: number,
  deps: RunUnitSyncDeps,
): Promise<SyncStatus | 'stopping' | 'lost-lease'> {
  const started = deps.now();
  let status = await deps.flexykey.unitSync.status({ unitId });
  while (status.state === 'InProgress' && deps.now() - started < deadlineMs) {
    await deps.sleep(pollEvery);
    if (deps.stopping?.aborted) return 'stopping';
    if (deps.stillOwner && !(await deps.stillOwner())) return 'lost-lease';
    status = await deps.flexykey.unitSync.status({ unitId });
  }
  return status;
}

/**
 * A push answered AlreadyRunning: either a sync someone else started is in progress (wait for it), or a
 * failed/timed-out sync still holds its packets. Either way it is Aborted afterwards, per the guide,
 * before pushing again (an Abort with nothing to abort is harmless).
 */
async function settleRunningSync(
  unitId: number,
  pollEvery: number,
  deadlineMs: number,
  deps: RunUnitSyncDeps,
) {
  const status = await waitWhileRunning(unitId, pollEvery, deadlineMs, deps);
  if (typeof status === 'string') return;
  deps.logger.info({ unitId, state: status.state }, 'aborting a sync that blocks the push');
  await deps.flexykey.unitSync.abort({ unitId });
}

function describe(status: SyncStatus): string {
  const sent = status.packetsSent ?? '?';
  const total = status.packetsTotal ?? '?';
  return `${status.state}${status.message ? `: ${status.message}` : ''} (${sent}/${total} packets)`;
}
