import {
  type CalendarOccurrence,
  classify,
  externalIdOf,
  feedUrl,
  mapOccurrence,
  redactUrl,
  resolveFeedSources,
} from '../../../src/adapters';
import { ConfigError, parseConfig } from '../../../src/config';
import { testSource } from './helpers';

function occurrence(overrides: Partial<CalendarOccurrence> = {}): CalendarOccurrence {
  return {
    uid: 'u1@example.test',
    recurrenceId: null,
    allDay: true,
    start: '2026-07-01',
    end: '2026-07-05',
    status: 'confirmed',
    summary: 'Reserved',
    description: '',
    location: '',
    ...overrides,
  };
}

describe('mapping rules', () => {
  const source = testSource();
  it.each([
    ['Reserved', 'booking'],
    ['Airbnb (Not available)', 'block'],
    ['Blocked', 'block'],
    ['CLOSED - Not available', 'ambiguous'],
    ['Tentative: Anna', 'tentative'],
    ['Hold for owner', 'tentative'],
    ['Meeting room A - weekly', 'booking'],
  ])('%s → %s (built-in rules)', (summary, kind) => {
    expect(classify(occurrence({ summary }), source)).toBe(kind);
  });

  it('STATUS wins: CANCELLED is cancelled, TENTATIVE a hold', () => {
    expect(classify(occurrence({ status: 'cancelled', summary: 'Airbnb (Not available)' }), source)).toBe(
      'cancelled',
    );
    expect(classify(occurrence({ status: 'tentative' }), source)).toBe('tentative');
  });

  it("the source's own rules come first; defaultKind decides the rest", () => {
    const custom = testSource({
      mapping: {
        rules: [
          { match: '^Owner stay', kind: 'block' },
          { field: 'description', match: 'STATUS=HOLD', kind: 'tentative', ignoreCase: false },
          { match: '^Not available$', kind: 'booking' },
        ],
        defaultKind: 'ignore',
      },
    });
    expect(classify(occurrence({ summary: 'Owner stay: Eva' }), custom)).toBe('block');
    expect(classify(occurrence({ description: 'x STATUS=HOLD y' }), custom)).toBe('tentative');
    expect(classify(occurrence({ description: 'status=hold' }), custom)).toBe('ignored');
    expect(classify(occurrence({ summary: 'Not available' }), custom)).toBe('booking');
    expect(classify(occurrence({ summary: 'Something' }), custom)).toBe('ignored');
    const noDefaults = testSource({ mapping: { useDefaultRules: false } });
    expect(classify(occurrence({ summary: 'Airbnb (Not available)' }), noDefaults)).toBe('booking');
  });

  it('reads guest name and phone with regexes; a partial phone is not sent', () => {
    const source = testSource({
      mapping: {
        guestName: { pattern: '^Reserved - (.+)$' },
        guestPhone: {
          field: 'description',
          pattern: 'Phone(?: Number)?(?: \\(Last 4 Digits\\))?: (?<value>[+\\d][\\d ()-]+)',
        },
      },
    });
    const full = mapOccurrence(
      occurrence({ summary: 'Reserved - Anna Berg', description: 'Phone: +46 70 123 45 67' }),
      source,
    );
    expect(full.events[0]?.guest).toEqual({ name: 'Anna Berg', phone: '+46701234567' });
    const airbnb = mapOccurrence(
      occurrence({
        summary: 'Reserved',
        description: 'Reservation URL: https://x/HM1\nPhone Number (Last 4 Digits): 4567',
      }),
      source,
    );
    expect(airbnb.events[0]?.guest).toBeUndefined();
  });

  it('blocks, holds and ambiguous ranges make no BookingEvent; cancellations make a cancelled one', () => {
    expect(mapOccurrence(occurrence({ summary: 'Blocked' }), source).events).toEqual([]);
    expect(mapOccurrence(occurrence({ status: 'cancelled', sequence: 2 }), source).events).toEqual([
      {
        source: 'feed',
        externalId: 'u1@example.test',
        resource: 'flat',
        start: '2026-07-01',
        end: '2026-07-05',
        status: 'cancelled',
        revision: 2,
      },
    ]);
  });

  it('timed occurrences keep their UTC instants', () => {
    const timed = occurrence({ allDay: false, start: '2026-07-06T07:00:00Z', end: '2026-07-06T08:00:00Z' });
    expect(mapOccurrence(timed, source).events[0]).toMatchObject({
      start: '2026-07-06T07:00:00Z',
      end: '2026-07-06T08:00:00Z',
    });
  });

  it('routes by text to one resource, or feeds every listed resource with distinct ids', () => {
    const routed = testSource({
      resources: ['flat', 'room'],
      route: [
        { field: 'location', match: '^Room', resource: 'room' },
        { match: '.', resource: 'flat' },
      ],
    });
    expect(
      mapOccurrence(occurrence({ location: 'Room B' }), routed).events.map((e) => [e.resource, e.externalId]),
    ).toEqual([['room', 'u1@example.test']]);
    const unrouted = testSource({
      resources: ['flat', 'room'],
      route: [{ match: '^Never', resource: 'room' }],
    });
    const none = mapOccurrence(occurrence(), unrouted);
    expect(none.kind).toBe('ignored');
    expect(none.problems[0]).toContain('no route');
    const both = testSource({ resources: ['flat', 'room'] });
    expect(mapOccurrence(occurrence(), both).events.map((e) => e.externalId)).toEqual([
      'u1@example.test@flat',
      'u1@example.test@room',
    ]);
  });

  it('externalId: UID, UID#recurrence-id, and a hash when too long', () => {
    expect(externalIdOf(occurrence())).toBe('u1@example.test');
    expect(externalIdOf(occurrence({ recurrenceId: '2026-07-06T07:00:00Z' }))).toBe(
      'u1@example.test#2026-07-06T07:00:00Z',
    );
    const long = externalIdOf(occurrence({ uid: 'x'.repeat(300) }));
    expect(long).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(externalIdOf(occurrence({ uid: 'x'.repeat(300) }))).toBe(long);
  });
});

describe('sources: URLs and secrets', () => {
  it('rewrites webcal:// to https://', () => {
    expect(feedUrl('webcal://www.airbnb.com/calendar/ical/1.ics?s=abc').href).toBe(
      'https://www.airbnb.com/calendar/ical/1.ics?s=abc',
    );
    expect(testSource({ url: 'webcals://p.example/x.ics' }).url.protocol).toBe('https:');
  });

  it('redacts every path segment and the query', () => {
    expect(redactUrl('https://www.airbnb.com/calendar/ical/123.ics?s=SECRET')).toBe(
      'https://www.airbnb.com/…/…/…?…',
    );
    expect(redactUrl('https://cal.example:8443/')).toBe('https://cal.example:8443/');
    const source = testSource({ url: 'https://h.example/private/TOKEN123/basic.ics' });
    expect(source.redactedUrl).not.toContain('TOKEN123');
  });

  it('reads the Basic auth password from the variable the config names, and refuses to start without it', () => {
    const source = testSource({ auth: { username: 'me', passwordEnv: 'FEED_PW' } }, { FEED_PW: 's3cret' });
    expect(source.auth).toEqual({ username: 'me', password: 's3cret' });
    expect(() => testSource({ auth: { username: 'me', passwordEnv: 'FEED_PW' } })).toThrow(
      'sources.feed.auth.passwordEnv: the environment variable FEED_PW is not set',
    );
  });

  it('the property zone is the first resource’s zone unless the source sets one', () => {
    expect(testSource().propertyZone).toBe('Europe/Stockholm');
    expect(testSource({ timeZone: 'America/New_York' }).propertyZone).toBe('America/New_York');
  });
});

describe('sources: configuration errors name the key and never echo the URL', () => {
  function problems(source: Record<string, unknown>, name = 'feed'): readonly string[] {
    try {
      parseConfig(
        {
          resources: { flat: { timeZone: 'Europe/Stockholm', units: [{ unitId: 1, action: 'R1' }] } },
          sources: {
            [name]: {
              type: 'ical',
              url: 'https://h.example/secret-TOKEN/x.ics',
              resources: 'flat',
              ...source,
            },
          },
        },
        {},
      );
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  }

  it.each([
    [{ type: 'caldav' }, "sources.feed.type: expected ical, got 'caldav'"],
    [
      { url: 'ftp://h.example/secret-TOKEN' },
      'sources.feed.url: must be an https:// (or webcal://) URL, got a ftp:// URL',
    ],
    [
      { url: 'not a url secret-TOKEN' },
      'sources.feed.url: must be an https:// (or webcal://) URL; this one does not parse',
    ],
    [
      { url: 'http://h.example/secret-TOKEN' },
      'sources.feed.url: is plain http (the feed and its secret would travel unencrypted): use https, or set allowHttp: true',
    ],
    [
      { url: 'https://me:secret-TOKEN@h.example/' },
      'sources.feed.url: must not hold a user name or password',
    ],
    [{ resources: ['flta'] }, "sources.feed.resources[0]: unknown resource 'flta' (did you mean 'flat'?)"],
    [{ resources: [] }, 'sources.feed.resources: must name at least one resource'],
    [{ schedule: 'every ten minutes' }, 'sources.feed.schedule: must be a cron expression'],
    [
      { auth: { username: 'u', password: 'p', passwordEnv: 'X' } },
      'sources.feed.auth.password: must not be in the configuration file',
    ],
    [
      { mapping: { rules: [{ match: '(', kind: 'block' }] } },
      'sources.feed.mapping.rules[0].match: must be a regular expression',
    ],
    [
      { mapping: { rules: [{ match: 'x', kind: 'maybe' }] } },
      'sources.feed.mapping.rules[0].kind: expected booking, block, tentative, ambiguous or ignore',
    ],
    [
      { safety: { absentFetchesBeforeCancel: 0 } },
      'sources.feed.safety.absentFetchesBeforeCancel: must be an integer from 1 to 100, got 0',
    ],
    [
      { safety: { maxCancelShare: 1.5 } },
      'sources.feed.safety.maxCancelShare: must be a number from 0 to 1, got 1.5',
    ],
    [{ fetch: { maxBytes: 10 } }, 'sources.feed.fetch.maxBytes: must be an integer from 1024'],
    [
      { route: [{ match: 'x', resource: 'room' }] },
      "sources.feed.route[0].resource: must be one of this source's resources (flat), got 'room'",
    ],
    [{ urll: 'x' }, "sources.feed: unknown key 'urll' (did you mean 'url'?)"],
  ])('%j', (change, message) => {
    const found = problems(change);
    expect(found.some((p) => p.startsWith(message))).toBe(true);
    expect(found.join('\n')).not.toContain('secret-TOKEN');
  });

  it('source names follow BookingEvent.source', () => {
    expect(problems({}, 'my feed')[0]).toContain('source names must be 1–64');
  });

  it('resolveFeedSources lists every missing secret at once', () => {
    const config = parseConfig(
      {
        resources: { flat: { timeZone: 'Europe/Stockholm', units: [{ unitId: 1, action: 'R1' }] } },
        sources: {
          a: {
            type: 'ical',
            url: 'https://a.example/',
            resources: 'flat',
            auth: { username: 'u', passwordEnv: 'A_PW' },
          },
          b: {
            type: 'ical',
            url: 'https://b.example/',
            resources: 'flat',
            auth: { username: 'u', passwordEnv: 'B_PW' },
          },
        },
      },
      {},
    );
    try {
      resolveFeedSources(config, {});
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });
});
