import {
  FlexyKeyAuthError,
  type FlexyKeyClient,
  FlexyKeyConnectionError,
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  FlexyKeyRateLimitError,
  FlexyKeyServerError,
  type SyncStatus,
} from '../../../src/flexykey';
import { isApiTrouble, runUnitSync } from '../../../src/jobs/run-unit-sync';
import { createLogger } from '../../../src/logging';

const TIMING = { pollIntervalMs: 2_500, statusCacheGuardMs: 2_000, deadlineMs: 60_000 };

/**
 * A unit whose Status answers come from a script, one per call (an Error is thrown), on a fake clock
 * that only moves when the sync sleeps: what runUnitSync asked, and when, is then exact.
 */
function scriptedUnit(statuses: (Partial<SyncStatus> | Error)[], push: string[] = ['Queued']) {
  let clock = 0;
  const calls: string[] = [];
  const status = (s: Partial<SyncStatus>) => ({ active: s.state === 'InProgress', ...s }) as SyncStatus;
  const flexykey = {
    unitSync: {
      status: async () => {
        calls.push(`status@${clock}`);
        const next = statuses.shift() ?? { state: 'InProgress' };
        if (next instanceof Error) throw next;
        return status(next);
      },
      pushChanges: async () => {
        calls.push(`push@${clock}`);
        return { status: push.shift() ?? 'Queued' };
      },
      abort: async () => {
        calls.push(`abort@${clock}`);
        return { status: 'Aborted' };
      },
    },
  } as unknown as FlexyKeyClient;
  const deps = {
    flexykey,
    logger: createLogger({ level: 'silent' }),
    sleep: async (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
  return { deps, calls };
}

describe('runUnitSync timing', () => {
  it('polls first once the cache guard is over, then every poll interval', async () => {
    const unit = scriptedUnit([
      { state: 'Completed', startedIso: '2026-11-25T10:00:00Z' }, // before the push: the last sync
      { state: 'InProgress', startedIso: '2026-11-25T10:05:00Z', progressPercent: 40 },
      { state: 'Completed', startedIso: '2026-11-25T10:05:00Z' },
    ]);
    const outcome = await runUnitSync(7, TIMING, unit.deps);
    expect(outcome).toEqual({ result: 'completed', pushes: 1 });
    expect(unit.calls).toEqual(['status@0', 'push@0', 'status@2100', 'status@4600']);
  });

  it('does not take a cached answer from before the push for the end of this sync', async () => {
    const unit = scriptedUnit([
      { state: 'Completed', startedIso: '2026-11-25T10:00:00Z' },
      // Still the cached status of the previous sync: not trusted, polled again.
      { state: 'Completed', startedIso: '2026-11-25T10:00:00Z' },
      { state: 'None' },
      { state: 'Completed', startedIso: '2026-11-25T10:05:00Z' },
    ]);
    expect(await runUnitSync(7, TIMING, unit.deps)).toEqual({ result: 'completed', pushes: 1 });
    expect(unit.calls).toEqual(['status@0', 'push@0', 'status@2100', 'status@4600', 'status@7100']);
  });

  it('keeps the poll interval when it is set longer than the guard, and stops at its own deadline', async () => {
    const unit = scriptedUnit([{ state: 'None' }]);
    const outcome = await runUnitSync(
      7,
      { ...TIMING, pollIntervalMs: 10_000, deadlineMs: 25_000 },
      unit.deps,
    );
    expect(outcome).toMatchObject({ result: 'deadline', pushes: 1 });
    expect(unit.calls).toEqual([
      'status@0',
      'push@0',
      'status@2100',
      'status@12100',
      'status@22100',
      'status@32100',
    ]);
  });

  it('waits for a sync already running (handed back by a stopping process) before pushing', async () => {
    const unit = scriptedUnit([
      { state: 'InProgress', startedIso: '2026-11-25T10:00:00Z', progressPercent: 50 },
      { state: 'InProgress', startedIso: '2026-11-25T10:00:00Z', progressPercent: 90 },
      { state: 'Completed', startedIso: '2026-11-25T10:00:00Z' },
      // Polls after our own push.
      { state: 'Completed', startedIso: '2026-11-25T10:00:05Z' },
    ]);
    expect(await runUnitSync(7, TIMING, unit.deps)).toEqual({ result: 'completed', pushes: 1 });
    expect(unit.calls).toEqual(['status@0', 'status@2500', 'status@5000', 'push@5000', 'status@7100']);
  });

  it('waits for a running sync only until its deadline, then pushes (and the AlreadyRunning path aborts it)', async () => {
    const unit = scriptedUnit(
      [
        ...Array.from({ length: 3 }, () => ({ state: 'InProgress' as const, startedIso: 'a' })),
        { state: 'InProgress', startedIso: 'a' }, // settling after AlreadyRunning: still running…
        { state: 'TimedOut', startedIso: 'a' }, // …then timed out, holding its packets: aborted
        { state: 'Aborted', startedIso: 'a' }, // before the second push
        { state: 'Completed', startedIso: 'b' },
      ],
      ['AlreadyRunning', 'Queued'],
    );
    const outcome = await runUnitSync(7, { ...TIMING, deadlineMs: 5_000 }, unit.deps);
    expect(outcome).toEqual({ result: 'completed', pushes: 2 });
    expect(unit.calls.filter((call) => call.startsWith('push') || call.startsWith('abort'))).toEqual([
      'push@5000',
      'abort@7500',
      'push@7500',
    ]);
  });

  it('a process stopping while it waits for a running sync hands the job back without pushing', async () => {
    const stopping = new AbortController();
    const unit = scriptedUnit([{ state: 'InProgress', startedIso: 'a' }]);
    const sleep = unit.deps.sleep;
    unit.deps.sleep = async (ms: number) => {
      await sleep(ms);
      stopping.abort();
    };
    const outcome = await runUnitSync(7, TIMING, { ...unit.deps, stopping: stopping.signal });
    expect(outcome).toMatchObject({ result: 'handed-back', pushes: 0 });
    expect(unit.calls).toEqual(['status@0']);
  });

  it('a process that loses the unit while it waits for a running sync stops without pushing', async () => {
    const unit = scriptedUnit([{ state: 'InProgress', startedIso: 'a' }]);
    let checks = 0;
    // Still the owner when the run starts; the lease is gone by the first check while waiting.
    const stillOwner = () => checks++ === 0;
    const outcome = await runUnitSync(7, TIMING, { ...unit.deps, stillOwner });
    expect(outcome).toMatchObject({ result: 'lost-lease', pushes: 0 });
    expect(unit.calls).toEqual(['status@0']);
  });

  it('reports NoChanges without polling', async () => {
    const unit = scriptedUnit([{ state: 'None' }], ['NoChanges']);
    expect(await runUnitSync(7, TIMING, unit.deps)).toEqual({ result: 'no-changes', pushes: 1 });
    expect(unit.calls).toEqual(['status@0', 'push@0']);
  });
});

const STATUS_CALL = { method: 'GET', path: '/v1/UnitSync/Status' };

describe('runUnitSync and FlexyKey trouble while polling', () => {
  it('a rate-limited or failing poll waits Retry-After (or the poll interval, if longer) and polls on', async () => {
    const unit = scriptedUnit([
      { state: 'Completed', startedIso: 'a' },
      new FlexyKeyRateLimitError({ ...STATUS_CALL, retryAfterMs: 6_000 }),
      new FlexyKeyServerError({ ...STATUS_CALL, statusCode: 503, retryable: true }),
      { state: 'InProgress', startedIso: 'b', progressPercent: 50 },
      { state: 'Completed', startedIso: 'b' },
    ]);
    expect(await runUnitSync(7, TIMING, unit.deps)).toEqual({ result: 'completed', pushes: 1 });
    expect(unit.calls).toEqual([
      'status@0',
      'push@0',
      'status@2100', // 429, Retry-After 6 s
      'status@8100', // 503: one poll interval
      'status@10600',
      'status@13100',
    ]);
  });

  it('still in trouble at our deadline: throws the API error (not a deadline of the unit)', async () => {
    const outage = new FlexyKeyConnectionError({
      ...STATUS_CALL,
      requestSent: false,
      retryable: true,
      message: 'GET /v1/UnitSync/Status: could not connect (ECONNREFUSED)',
    });
    const unit = scriptedUnit([{ state: 'Completed', startedIso: 'a' }, ...Array(10).fill(outage)]);
    await expect(runUnitSync(7, { ...TIMING, deadlineMs: 5_000 }, unit.deps)).rejects.toBe(outage);
    expect(unit.calls).toEqual(['status@0', 'push@0', 'status@2100', 'status@4600', 'status@7100']);
  });

  it('an error that is not API trouble (403) is thrown at once', async () => {
    const forbidden = new FlexyKeyForbiddenError(STATUS_CALL);
    const unit = scriptedUnit([{ state: 'Completed', startedIso: 'a' }, forbidden]);
    await expect(runUnitSync(7, TIMING, unit.deps)).rejects.toBe(forbidden);
    expect(unit.calls).toEqual(['status@0', 'push@0', 'status@2100']);
  });

  it('API trouble: 429, 5xx (a PushChanges not safe to resend included), timeouts, connection errors, 401', () => {
    const push = { method: 'POST', path: '/v1/UnitSync/PushChanges' };
    expect(isApiTrouble(new FlexyKeyServerError({ ...push, statusCode: 503, retryable: false }))).toBe(true);
    expect(
      isApiTrouble(
        new FlexyKeyConnectionError({ ...push, requestSent: true, retryable: false, message: 'reset' }),
      ),
    ).toBe(true);
    expect(isApiTrouble(new FlexyKeyRateLimitError(push))).toBe(true);
    // Credentials being rotated: not the unit's fault either.
    expect(isApiTrouble(new FlexyKeyAuthError(push))).toBe(true);
    expect(isApiTrouble(new FlexyKeyNotFoundError(push))).toBe(false);
    expect(isApiTrouble(new FlexyKeyForbiddenError(push))).toBe(false);
    expect(isApiTrouble(new Error('redis down'))).toBe(false);
  });
});
