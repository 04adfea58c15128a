import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import {
  DEMO_FEED_SOURCE,
  DEMO_FILES,
  displayKey,
  loadPushedSteps,
  renderCalendarTemplate,
  shortenExternalId,
} from '../../src/demo';
import { bookingKey } from '../../src/domain';
import { findFreePort } from '../../src/redis';
import { captureOutput } from '../helpers/child-output';
import { waitFor } from '../helpers/wait-for';

const CLI = path.resolve(__dirname, '../../src/cli/main.ts');
const ZONE = 'Europe/Stockholm';

interface DemoRun {
  output(): string;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `flexysync demo …` as a child process with stdout a pipe (not a terminal), like CI or `| tee`. */
function startDemo(args: string[], env: Record<string, string | undefined> = {}): DemoRun {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  if (!('REDIS_URL' in env)) delete childEnv.REDIS_URL;
  delete childEnv.LOG_LEVEL;
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'demo', ...args], {
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const captured = captureOutput(child);
  return {
    output: captured.stdout,
    stderr: captured.stderr,
    kill: (signal) => child.kill(signal),
    // 'close': exited and its output read to the end (the test reads the last lines).
    exited: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))),
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The ports the demo announced: its Redis, the simulator and the calendar feed. */
function announcedPorts(output: string) {
  const port = (pattern: RegExp) => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`not in the output: ${pattern}\n${output}`);
    return Number(match[1]);
  };
  return {
    redis: port(/Redis\s+redis:\/\/127\.0\.0\.1:(\d+) \(private, stopped on exit\)/),
    simulator: port(/simulator at http:\/\/127\.0\.0\.1:(\d+)\/v1\//),
    feed: port(/feed at http:\/\/127\.0\.0\.1:(\d+)\//),
  };
}

/** Nothing the demo started still runs: no port answers, no redis-server on its port exists. */
async function expectNothingLeftBehind(ports: ReturnType<typeof announcedPorts>): Promise<void> {
  expect(await canConnect(ports.redis)).toBe(false);
  expect(await canConnect(ports.simulator)).toBe(false);
  expect(await canConnect(ports.feed)).toBe(false);
  const processes = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
  expect(processes).not.toContain(`redis-server 127.0.0.1:${ports.redis}`);
}

/** The rows of the final table: cells are separated by two or more spaces. */
function finalTable(output: string): Map<string, Record<string, string>> {
  const lines = output.split('\n');
  const header = lines.findLastIndex((line) => line.startsWith('Booking '));
  expect(header).toBeGreaterThan(0);
  const titles = (lines[header] as string).trim().split(/\s{2,}/);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(header + 2)) {
    if (line.trim() === '' || line.startsWith('Door:')) break;
    const cells = line.trim().split(/\s{2,}/);
    rows.set(cells[0] as string, Object.fromEntries(titles.map((title, i) => [title, cells[i] ?? ''])));
  }
  return rows;
}

/** Every booking the demo makes, and the state and door outcome it must end in. */
function demoBookings(): Map<string, { state: 'synced' | 'revoked'; door: 'opens' | 'refused' }> {
  const wanted = new Map<string, { state: 'synced' | 'revoked'; door: 'opens' | 'refused' }>();
  for (const step of loadPushedSteps(() => ZONE, new Date())) {
    const cancelled = step.event.status === 'cancelled';
    wanted.set(displayKey(bookingKey(step.event)), {
      state: cancelled ? 'revoked' : 'synced',
      door: cancelled ? 'refused' : 'opens',
    });
  }
  const calendar = readFileSync(DEMO_FILES.calendar, 'utf8');
  for (const block of calendar.split('BEGIN:VEVENT').slice(1)) {
    if (!/^SUMMARY:Reserved$/m.test(block)) continue;
    const uid = /^UID:(.+)$/m.exec(block)?.[1] as string;
    wanted.set(displayKey(`${DEMO_FEED_SOURCE}/${uid}`), { state: 'synced', door: 'opens' });
  }
  return wanted;
}

describe('the demo files', () => {
  it('the calendar template renders to dates around today, in the resource’s zone', () => {
    const now = new Date('2026-03-28T23:30:00Z'); // already the 29th in Stockholm, the day DST starts
    const text = renderCalendarTemplate('A:{{DATE}} B:{{DATE+2}} C:{{DATE-2}} S:{{DTSTAMP}}', ZONE, now);
    expect(text).toBe('A:20260329 B:20260331 C:20260327 S:20260328T233000Z');
    expect(() => renderCalendarTemplate('{{TOMORROW}}', ZONE, now)).toThrow(/unknown placeholder/);
  });

  it('the demo calendar is upcoming whenever it runs, and its UIDs stay distinct when shortened', () => {
    const text = renderCalendarTemplate(readFileSync(DEMO_FILES.calendar, 'utf8'), ZONE, new Date());
    const today = DateTime.now().setZone(ZONE).toFormat('yyyyMMdd');
    const starts = [...text.matchAll(/^DTSTART;VALUE=DATE:(\d{8})$/gm)].map((m) => m[1] as string);
    expect(starts.length).toBeGreaterThanOrEqual(4);
    expect(starts.filter((start) => start > today).length).toBeGreaterThanOrEqual(3);
    const uids = [...text.matchAll(/^UID:(.+)$/gm)].map((m) => m[1] as string);
    expect(new Set(uids.map((uid) => shortenExternalId(uid))).size).toBe(uids.length);
  });

  it('pushed events get dates relative to today, with the resource’s offset for timed ones', () => {
    const now = new Date('2026-10-24T12:00:00Z'); // the day before Stockholm leaves summer time
    const steps = loadPushedSteps(() => ZONE, now);
    const laundry = steps.find((step) => step.event.resource === 'laundry');
    expect(laundry?.event).toMatchObject({
      start: '2026-10-26T08:00:00+01:00',
      end: '2026-10-26T11:00:00+01:00',
    });
    expect(steps.find((step) => step.event.externalId === 'R-2041')?.event).toMatchObject({
      start: '2026-10-25',
      end: '2026-10-28',
    });
  });
});

describe('flexysync demo', () => {
  let logDir: string;
  beforeAll(() => {
    logDir = mkdtempSync(path.join(tmpdir(), 'flexysync-demo-test-'));
  });
  afterAll(() => {
    rmSync(logDir, { recursive: true, force: true });
  });

  it('--once runs everything end to end, prints the final table and leaves nothing running', async () => {
    const logFile = path.join(logDir, 'once.log');
    const startedAt = Date.now();
    const demo = startDemo(['--once', '--log-file', logFile]);
    const { code } = await demo.exited;
    const output = demo.output();
    expect({ code, stderr: demo.stderr() }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(Date.now() - startedAt).toBeLessThan(60_000);

    // What a person watches: the offline unit is reported and recovers, the move and the cancellation.
    expect(output).toMatch(/Boat club gate unreachable after \d+ failed syncs/);
    expect(output).toMatch(/Boat club gate reachable again/);
    expect(output).toMatch(/update\s+pms\/R-2042 {2}new window/);
    expect(output).toMatch(/revoked\s+pms\/R-2043/);
    expect(output).toContain('everything is in sync');
    // Not a terminal: plain lines, no bars, no escape sequences.
    expect(output).not.toContain('\u001b[');
    expect(output).not.toContain('█');

    const table = finalTable(output);
    const wanted = demoBookings();
    expect([...table.keys()].sort()).toEqual([...wanted.keys()].sort());
    for (const [booking, { state, door }] of wanted) {
      const row = table.get(booking) as Record<string, string>;
      expect({ booking, state: row.State, door: row.Door }).toEqual({ booking, state, door });
      // Masked by default: one dot per digit, no digit shown.
      expect(row.PIN).toMatch(/^•{4,7}$/);
      expect(row['Window (Europe/Stockholm)']).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d\d:\d\d → /);
    }
    expect(table.get('pms/R-2041')).toMatchObject({
      Guest: 'Astrid Lindqvist',
      Units: 'Main entrance, Flat 4A',
    });

    // The worker's log went to the file, without PINs or the feed's secret token.
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('worker started');
    expect(log).not.toMatch(/"(?:pin|codeTag)":"\d{4,7}"/);
    expect(log).not.toMatch(/[?&]s=[0-9a-f]{8}/);
    expect(output).toContain(logFile);

    await expectNothingLeftBehind(announcedPorts(output));
  }, 90_000);

  it('Ctrl-C while codes are syncing shuts everything down cleanly (exit 0)', async () => {
    const demo = startDemo(['--log-file', path.join(logDir, 'sigint.log')]);
    await waitFor(() => /\bsynced\s+\S+ {2}on /.test(demo.output()), {
      timeoutMs: 30_000,
      description: 'a first booking synced',
    });
    const stoppedAt = Date.now();
    demo.kill('SIGINT');
    const { code } = await demo.exited;
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    expect(demo.output()).toContain('stopping (Ctrl-C)');
    expect(demo.output()).toContain('Stopped.');
    await expectNothingLeftBehind(announcedPorts(demo.output()));
  }, 60_000);

  it('--once exits 1 when the deadline passes, and still stops everything', async () => {
    const demo = startDemo(['--once', '--timeout', '1', '--log-file', path.join(logDir, 'deadline.log')]);
    const { code } = await demo.exited;
    expect(code).toBe(1);
    expect(demo.output()).toMatch(/gave up after 1 s: .+ not done/);
    await expectNothingLeftBehind(announcedPorts(demo.output()));
  }, 60_000);

  it('without REDIS_URL and without redis-server, says what is missing and exits 1', async () => {
    const emptyPath = mkdtempSync(path.join(tmpdir(), 'flexysync-no-bin-'));
    try {
      const demo = startDemo(['--once', '--log-file', path.join(logDir, 'no-redis.log')], {
        PATH: emptyPath,
      });
      const { code } = await demo.exited;
      expect(code).toBe(1);
      expect(demo.stderr()).toMatch(/No REDIS_URL was given and 'redis-server' was not found on PATH/);
      expect(demo.stderr()).toMatch(/apt-get install -y redis-server/);
    } finally {
      rmSync(emptyPath, { recursive: true, force: true });
    }
  }, 30_000);

  it('with a REDIS_URL that does not answer, says so and exits 1', async () => {
    const port = await findFreePort();
    const demo = startDemo(['--once', '--log-file', path.join(logDir, 'bad-url.log')], {
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    const { code } = await demo.exited;
    expect(code).toBe(1);
    expect(demo.stderr()).toContain(`the Redis at redis://127.0.0.1:${port} does not answer`);
    expect(demo.stderr()).toContain('ECONNREFUSED');
  }, 30_000);
});
