import { setTimeout as delay } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { resolveResource } from '../config';
import { bookingKey } from '../domain';
import { createBookingsQueue, enqueueBookings } from '../jobs';
import { loadPushedSteps, type PushedStep } from './assets';
import {
  createStyles,
  displayKey,
  formatElapsed,
  formatWindow,
  plural,
  progressBar,
  renderTable,
  type Styles,
  showPin,
} from './format';
import { createScreen, type Screen } from './screen';
import { DEMO_FEED_SOURCE, type DemoStack, startDemoStack } from './stack';
import { type BookingView, createDemoTracker, type TrackerEvent } from './tracker';

export interface DemoOptions {
  /** Exit when every booking is synced (or revoked) instead of running until stopped. @default false */
  once?: boolean;
  /** Show PINs on screen instead of masking them. @default false */
  showPins?: boolean;
  /** With `once`: give up (exit 1) after this long. @default 90_000 */
  timeoutMs?: number;
  /** Where the worker and simulator log. */
  logFile: string;
  /** LOG_LEVEL for the log file. @default 'info' */
  logLevel?: string;
  /** A Redis to use instead of starting a private one. */
  redisUrl?: string;
  /** @default process.stdout */
  out?: NodeJS.WriteStream;
  /** Progress bars and colours (a terminal). @default out.isTTY */
  live?: boolean;
  /** Colours. @default live */
  color?: boolean;
  /** Aborted when the user asks the demo to stop (Ctrl-C). */
  signal?: AbortSignal;
  /** Receives the stack's emergency stop, for an exit that cannot wait (a second Ctrl-C). */
  onForceStop?: (forceStop: () => void) => void;
}

/** How often the demo looks at what flexysync reports. */
const TICK_MS = 200;
/** A pause before a follow-up event (a move, a cancellation), so each step can be seen. */
const FOLLOW_UP_PAUSE_MS = 1_500;
/** An offline unit comes back this long after flexysync reported it unreachable… */
const BACK_ONLINE_AFTER_UNREACHABLE_MS = 4_000;
/** …or this long after the start at the latest. */
const BACK_ONLINE_AT_LATEST_MS = 30_000;

/** Door-check time: a minute into the window, when a guest arriving early would try the code. */
const DOOR_CHECK_OFFSET_MS = 60_000;

/**
 * The one-command demo: Redis, the FlexyKey simulator with a few units (one offline for a while), a
 * local Airbnb-style calendar feed, pushed BookingEvents (a move and a cancellation among them) and
 * the worker, all in this process; the screen shows each unit's sync progress and every outcome as it
 * happens, and ends with a table of every booking. Returns the exit code.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const live = options.live ?? out.isTTY === true;
  const styles = createStyles(options.color ?? live);
  const screen = createScreen({ out, live });
  const startedAt = Date.now();
  const now = new Date(startedAt);
  const say = (tag: string, text: string, paint: (t: string) => string = (t) => t) =>
    screen.line(`${styles.dim(formatElapsed(Date.now() - startedAt))}  ${paint(tag.padEnd(8))} ${text}`);

  screen.line(styles.bold('flexysync demo — bookings in, door codes out'));
  const starting = startDemoStack({
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    logFile: options.logFile,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    now,
    onStarted: (what) => {
      switch (what.kind) {
        case 'redis':
          screen.line(
            `  Redis       ${what.url} ${styles.dim(
              what.embedded
                ? '(private, stopped on exit)'
                : `(REDIS_URL; keys under ${what.prefix}:, removed on exit)`,
            )}`,
          );
          return;
        case 'simulator':
          screen.line(`  FlexyKey    simulator at ${what.baseUrl}`);
          return;
        case 'feed':
          // The token is a credential, like Airbnb's: never shown whole.
          screen.line(`  Calendar    Airbnb-style feed at ${what.url.replace(/\?.*$/, '?s=…')}`);
          return;
        case 'worker':
          screen.line(
            `  Worker      in this process; its log: ${options.logFile} ${styles.dim('(PINs are never logged)')}`,
          );
          return;
      }
    },
  });
  let stack: DemoStack;
  try {
    stack = await starting;
  } catch (error) {
    screen.close();
    throw error;
  }
  options.onForceStop?.(() => stack.forceStop());
  screen.line(
    `  Timings     fast for the demo: sync status cached ${stack.config.sync.statusCacheGuardMs / 1000} s, polled to match ${styles.dim('(FlexyKey’s guard is 2 s; production keeps the defaults)')}`,
  );

  const units = stack.seed.units.map((unit) => ({ unitId: unit.unitId, name: unit.name }));
  const unitName = (unitId: number) => units.find((u) => u.unitId === unitId)?.name ?? `unit ${unitId}`;
  const unitNames = (ids: readonly number[]) => (ids.length > 0 ? ids.map(unitName).join(', ') : '—');
  const zoneOf = (resource: string | undefined) =>
    (resource && resolveResource(stack.config, resource)?.timeZone) ||
    stack.config.defaults.timeZone ||
    'UTC';
  const offline = stack.seed.units.filter((unit) => unit.online === false);
  for (const unit of offline) {
    screen.line(
      `  Scenario    ${unit.name} is offline (no power at the harbour); it comes back once flexysync has reported it unreachable`,
    );
  }
  screen.line('');

  const feedSources = Object.keys(stack.config.sources ?? {});
  const tracker = createDemoTracker({
    redis: stack.redis,
    prefix: stack.prefix,
    unitIds: units.map((u) => u.unitId),
    feedSources,
    onEvent: (event) => describe(event),
  });

  const producer = createBookingsQueue(stack.redis, stack.prefix);
  const steps = loadPushedSteps((resource) => zoneOf(resource), now);
  const waitingSteps: PushedStep[] = [];
  /** When each booking settled (for the pause before its follow-up). */
  const settledAt = new Map<string, number>();
  const backOnlineAt = new Map<number, number>(
    offline.map((unit) => [unit.unitId, startedAt + BACK_ONLINE_AT_LATEST_MS]),
  );

  async function send(step: PushedStep): Promise<void> {
    const key = bookingKey(step.event);
    const result = await enqueueBookings(producer, [step.event]);
    if (result.rejected.length > 0) {
      throw new Error(`demo event ${key} rejected: ${result.rejected[0]?.errors.join('; ')}`);
    }
    const cancelled = step.event.status === 'cancelled';
    tracker.expect(key, {
      state: cancelled ? 'revoked' : 'synced',
      ...(typeof step.event.revision === 'number' ? { revision: step.event.revision } : {}),
    });
    settledAt.delete(key);
    say('push', `${styles.bold(displayKey(key))}  ${step.note}`, styles.magenta);
  }

  function describe(event: TrackerEvent): void {
    switch (event.kind) {
      case 'applied': {
        const b = event.booking;
        const window = formatWindow(b.validFrom, b.validTo, zoneOf(b.resource));
        if (event.update) {
          say(
            'update',
            `${styles.bold(displayKey(b.key))}  new window ${window}, same PIN, on ${unitNames(b.units)}`,
            styles.cyan,
          );
        } else {
          say(
            'code',
            `${styles.bold(displayKey(b.key))}  ${b.guest ?? 'guest'} · PIN ${showPin(b.pin, options.showPins === true)} · ${window} · ${unitNames(b.units)}`,
            styles.cyan,
          );
        }
        return;
      }
      case 'synced':
        say(
          'synced',
          `${styles.bold(displayKey(event.booking.key))}  on ${unitNames(event.booking.units)}: the code works at the door`,
          styles.green,
        );
        settledAt.set(event.booking.key, Date.now());
        return;
      case 'revoked':
        say(
          'revoked',
          `${styles.bold(displayKey(event.booking.key))}  access removed from every unit`,
          styles.yellow,
        );
        settledAt.set(event.booking.key, Date.now());
        return;
      case 'failed':
        if (event.transient) {
          say(
            'waiting',
            `${styles.bold(displayKey(event.booking.key))}  ${unitNames(event.unreachable)} unreachable: the change is kept and retried`,
            styles.yellow,
          );
        } else {
          say('FAILED', `${styles.bold(displayKey(event.booking.key))}  ${event.reason}`, styles.red);
        }
        return;
      case 'unit-unreachable': {
        const retry = stack.config.sync.unreachableRetryMs / 1000;
        say(
          'unit',
          styles.red(
            `${unitName(event.unitId)} unreachable after ${plural(event.state.failures, 'failed sync')} (${describeResult(event.state.lastResult)}); flexysync keeps its changes and retries every ${retry} s`,
          ),
          styles.red,
        );
        if (backOnlineAt.has(event.unitId)) {
          backOnlineAt.set(
            event.unitId,
            Math.min(
              backOnlineAt.get(event.unitId) ?? Infinity,
              Date.now() + BACK_ONLINE_AFTER_UNREACHABLE_MS,
            ),
          );
        }
        return;
      }
      case 'unit-recovered':
        say('unit', styles.green(`${unitName(event.unitId)} reachable again`), styles.green);
        return;
      case 'sync-started':
        if (!screen.live) say('unit', `${unitName(event.unitId)}: sync started`, styles.dim);
        return;
      case 'sync-finished':
        if (!screen.live) {
          say(
            'unit',
            `${unitName(event.unitId)}: ${describeResult(event.state.lastResult)} — ${plural(deviceEntries(event.unitId), 'entry', 'entries')} on the unit`,
            styles.dim,
          );
        }
        return;
      case 'feed': {
        const s = event.status;
        if (s.lastOutcome === 'unchanged') return;
        if (s.lastOutcome === 'failed' || s.lastOutcome === 'suspicious') {
          say(
            'feed',
            styles.red(`${s.source}: ${s.lastOutcome}: ${s.lastError ?? 'no reason given'}`),
            styles.red,
          );
          return;
        }
        const c = s.counts;
        const detail = c
          ? `${plural(c.events, 'event')} → ${plural(c.bookings, 'booking')}, ${plural(c.blocks, 'blocked period')} (no code)`
          : (s.lastOutcome ?? '');
        say('feed', `${s.source}: read ${detail}; polled ${every(s.source)}`, styles.dim);
        return;
      }
    }
  }

  function every(source: string): string {
    const schedule = stack.config.sources?.[source]?.schedule ?? '';
    const seconds = /^\*\/(\d+) \* \* \* \* \*$/.exec(schedule)?.[1];
    return seconds ? `every ${seconds} s` : `on '${schedule}'`;
  }

  function describeResult(result: string | undefined): string {
    switch (result) {
      case 'completed':
      case 'no-changes':
        return 'sync done';
      case 'timed-out':
        return 'no answer, timed out';
      case 'deadline':
        return 'sync took too long';
      case 'failed':
        return 'sync failed';
      default:
        return result ?? 'sync done';
    }
  }

  function deviceEntries(unitId: number): number {
    return stack.sim.simulator.unit(unitId).deviceMemory.entries.length;
  }

  function unitLines(): string[] {
    const width = Math.max(...units.map((u) => u.name.length));
    return units.map(({ unitId, name }) => {
      const state = tracker.unitState(unitId);
      const sim = stack.sim.simulator.unit(unitId);
      let percent = 0;
      let status: string;
      if (state?.unreachable) {
        status = styles.red(`unreachable, retrying every ${stack.config.sync.unreachableRetryMs / 1000} s`);
      } else if (state?.syncing) {
        percent = state.progressPercent ?? 0;
        status = styles.cyan(state.failures > 0 ? `syncing (attempt ${state.failures + 1})` : 'syncing');
      } else if (state && state.failures > 0) {
        status = styles.yellow(`${describeResult(state.lastResult)}, retrying`);
      } else if (state?.lastResult === 'completed' || state?.lastResult === 'no-changes') {
        percent = 100;
        status = styles.green('in sync');
      } else {
        status = styles.dim('idle');
      }
      const bar = progressBar(percent);
      const paintedBar = percent >= 100 ? styles.green(bar) : state?.unreachable ? styles.red(bar) : bar;
      const device = `${plural(sim.deviceMemory.entries.length, 'entry', 'entries')} on the unit${sim.online ? '' : ' · offline'}`;
      return `  ${name.padEnd(width)}  ${paintedBar} ${String(Math.round(percent)).padStart(3)}%  ${status}  ${styles.dim(device)}`;
    });
  }

  function finished(): { done: boolean; failed: BookingView[] } {
    const expected = tracker.bookings().filter((b) => b.expected);
    const done =
      waitingSteps.length === 0 &&
      feedSources.every((source) => tracker.feedRead(source)) &&
      backOnlineAt.size === 0 &&
      expected.length > 0 &&
      expected.every((b) => b.settled);
    return { done, failed: expected.filter((b) => b.state === 'failed') };
  }

  let exitCode = 0;
  let announcedDone = false;
  try {
    for (const step of steps) {
      if (step.when === 'start') await send(step);
      else waitingSteps.push(step);
    }
    screen.setLive(unitLines());
    const deadline = startedAt + (options.timeoutMs ?? 90_000);
    for (;;) {
      if (options.signal?.aborted) {
        if (options.once) exitCode = 130;
        say('demo', 'stopping (Ctrl-C)…', styles.magenta);
        break;
      }
      await tracker.poll();
      for (const [unitId, at] of backOnlineAt) {
        if (Date.now() < at) continue;
        stack.sim.simulator.updateUnit(unitId, { online: true });
        backOnlineAt.delete(unitId);
        say('demo', `${unitName(unitId)} is back online (power restored)`, styles.magenta);
      }
      for (const step of [...waitingSteps]) {
        const key = bookingKey(step.event);
        const booking = tracker.booking(key);
        const since = settledAt.get(key);
        if (booking?.settled && since !== undefined && Date.now() - since >= FOLLOW_UP_PAUSE_MS) {
          waitingSteps.splice(waitingSteps.indexOf(step), 1);
          await send(step);
        }
      }
      screen.setLive(unitLines());
      const state = finished();
      if (state.done && !announcedDone) {
        announcedDone = true;
        screen.setLive(unitLines());
        screen.flush();
        if (state.failed.length > 0) {
          say('demo', styles.red(`${state.failed.length} booking(s) failed`), styles.red);
          exitCode = 1;
        } else {
          say('demo', styles.green('everything is in sync'), styles.green);
        }
        if (options.once) break;
        printTable(screen, styles, await doorChecks());
        screen.line(
          styles.dim(
            `The worker keeps running and polls the feed ${every(DEMO_FEED_SOURCE)}; in another terminal: REDIS_URL=${stack.redisUrl} npx flexysync status. Ctrl-C stops everything.`,
          ),
        );
      }
      if (options.once && Date.now() > deadline) {
        const open = tracker.bookings().filter((b) => b.expected && !b.settled);
        say(
          'demo',
          styles.red(
            `gave up after ${Math.round((options.timeoutMs ?? 90_000) / 1000)} s: ${
              open.length > 0
                ? open.map((b) => `${displayKey(b.key)} (${b.state})`).join(', ')
                : 'the feed was never read'
            } not done`,
          ),
          styles.red,
        );
        exitCode = 1;
        break;
      }
      await sleep(TICK_MS, options.signal);
    }
    screen.setLive(unitLines());
    screen.close();
    out.write('\n');
    printTable(screen, styles, await doorChecks());
  } finally {
    screen.close();
    await producer.close().catch(() => {});
    out.write(`${styles.dim('Stopping the worker, the feed, the simulator and Redis…')}\n`);
    await stack.stop();
    out.write(`${styles.dim(`Stopped. The worker's log stays at ${options.logFile}.`)}\n`);
  }
  return exitCode;

  /**
   * Tries each booking's PIN on the simulated keypad of each of its units a minute into its window:
   * what the unit really holds decides (a synced booking opens, a revoked one is refused).
   */
  async function doorChecks(): Promise<Map<string, string>> {
    const results = new Map<string, string>();
    for (const booking of tracker.bookings()) {
      if (!booking.pin || !booking.validFrom || booking.units.length === 0) continue;
      const at = DateTime.fromISO(booking.validFrom).toMillis() + DOOR_CHECK_OFFSET_MS;
      const decisions = booking.units.map((unitId) =>
        stack.sim.simulator.simulateAccess(unitId, {
          pin: booking.pin as string,
          atIso: new Date(at).toISOString(),
        }),
      );
      const opened = decisions.filter((d) => d.granted).length;
      results.set(
        booking.key,
        opened === decisions.length
          ? 'opens'
          : opened === 0
            ? 'refused'
            : `opens ${opened}/${decisions.length}`,
      );
    }
    return results;
  }

  function printTable(target: Screen, s: Styles, doors: Map<string, string>): void {
    // Grouped by resource (configuration order), then by when the stay starts.
    const resourceOrder = Object.keys(stack.config.resources);
    const startMs = (b: BookingView) => (b.validFrom ? Date.parse(b.validFrom) : 0);
    const rank = (b: BookingView) => {
      const index = resourceOrder.indexOf(b.resource ?? '');
      return index < 0 ? resourceOrder.length : index;
    };
    const rows = tracker
      .bookings()
      .filter((b) => b.expected || b.state !== 'pending')
      .sort((a, b) => rank(a) - rank(b) || startMs(a) - startMs(b))
      .map((b) => {
        const state =
          b.state === 'synced'
            ? s.green('synced')
            : b.state === 'revoked'
              ? s.yellow('revoked')
              : b.state === 'failed'
                ? s.red('failed')
                : b.state === 'waiting'
                  ? s.yellow('waiting (unit unreachable)')
                  : b.state;
        return [
          displayKey(b.key),
          b.guest ?? '—',
          b.resource ?? '—',
          unitNames(b.units),
          formatWindow(b.validFrom, b.validTo, zoneOf(b.resource)),
          showPin(b.pin, options.showPins === true),
          state,
          doors.get(b.key) ?? '—',
        ];
      });
    const zone = stack.config.defaults.timeZone ?? 'UTC';
    target.line(
      renderTable(
        ['Booking', 'Guest', 'Resource', 'Units', `Window (${zone})`, 'PIN', 'State', 'Door'],
        rows,
        s,
      ),
    );
    target.line(
      s.dim(
        `Door: the PIN keyed in on each unit's simulated keypad a minute into the window, decided by what the unit really holds.${
          options.showPins ? '' : ' PINs are masked; --show-pins shows them.'
        }`,
      ),
    );
  }
}

/** Waits `ms`, or less when `signal` fires (node's timer rejects then: that just ends the wait). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}
