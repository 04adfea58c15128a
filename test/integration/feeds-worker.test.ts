import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { runCli } from '../helpers/cli';
import { type Engine, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';
import { writeConfigFile } from '../helpers/worker-processes';

/** A stay two months ahead (whenever the test runs), as a feed lists it: plain dates. */
const ARRIVAL = DateTime.now().setZone('Europe/Stockholm').plus({ months: 2 }).startOf('day');
const DEPARTURE = ARRIVAL.plus({ days: 3 });
const localIso = (day: DateTime, hour: number) =>
  day.set({ hour }).toISO({ suppressMilliseconds: true, includeOffset: true });

const CALENDAR = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//flexysync test//EN',
  'BEGIN:VEVENT',
  'UID:feed-booking-1@example.test',
  'DTSTAMP:20261120T120000Z',
  `DTSTART;VALUE=DATE:${ARRIVAL.toFormat('yyyyMMdd')}`,
  `DTEND;VALUE=DATE:${DEPARTURE.toFormat('yyyyMMdd')}`,
  'SUMMARY:Reserved',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('the worker polls a calendar feed and its bookings reach the units', () => {
  let engine: Engine;
  let server: Server;
  let served = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      served++;
      res.writeHead(200, { 'content-type': 'text/calendar' });
      res.end(CALENDAR);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(async () => {
    await engine.close();
  });

  it('an all-day feed event becomes an entry from check-in to check-out in the resource’s zone', async () => {
    const { port } = server.address() as AddressInfo;
    engine = await startEngine({
      resources: { cabin: { timeZone: 'Europe/Stockholm', units: [{ unitId: 7001, action: 'R1' }] } },
      config: {
        sources: {
          'test-feed': {
            type: 'ical',
            url: `http://127.0.0.1:${port}/calendar.ics?token=secret-token`,
            allowHttp: true,
            resources: 'cabin',
            schedule: '*/2 * * * * *',
          },
        },
      },
    });
    const events = await waitFor(
      async () => {
        const outcomes = (await engine.outcomes()).filter(
          (e) => e.source === 'test-feed' && e.state === 'synced',
        );
        return outcomes.length > 0 ? outcomes : undefined;
      },
      { timeoutMs: 20_000, description: 'the feed booking synced' },
    );
    expect(served).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({
      validFrom: localIso(ARRIVAL, 15),
      validTo: localIso(DEPARTURE, 11),
    });
    expect(engine.device(7001)).toHaveLength(1);

    // Operators see the feed's health; the URL's token is never shown.
    const env = { ...engine.env, FLEXYSYNC_CONFIG: writeConfigFile(engine.configInput), LOG_LEVEL: 'warn' };
    const feeds = await runCli(['feeds', 'list', '--json'], { env });
    expect(feeds.code).toBe(0);
    const [feed] = JSON.parse(feeds.stdout);
    expect(feed).toMatchObject({ source: 'test-feed', consecutiveFailures: 0, missing: 0 });
    expect(feed.lastSuccessAt).toEqual(expect.any(String));
    const status = await runCli(['status'], { env });
    expect(status.stdout).toContain('test-feed');
    expect(status.stdout + feeds.stdout).not.toContain('secret-token');
    const approve = await runCli(['feeds', 'approve', 'test-feed'], { env });
    expect(approve.code).toBe(1);
    expect(approve.stderr).toContain('nothing is held back');
  });
});
