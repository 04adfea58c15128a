import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FeedSource, resolveFeedSources } from '../../../src/adapters';
import { parseConfig } from '../../../src/config';

/** The shared fixtures (`../shared/fixtures/ics` beside the repository). */
export const FIXTURES = join(__dirname, '../../../../shared/fixtures/ics');

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function fixtureJson<T>(name: string): T {
  return JSON.parse(fixture(name)) as T;
}

/** The conventions of SOURCES.md: Europe/Stockholm, check-in 15:00, check-out 11:00. */
export const ZONE = 'Europe/Stockholm';

/** A resolved feed source through the real configuration schema; `source` overrides its keys. */
export function testSource(
  source: Record<string, unknown> = {},
  env: Record<string, string> = {},
): FeedSource {
  const config = parseConfig(
    {
      resources: {
        flat: {
          timeZone: ZONE,
          checkInTime: '15:00',
          checkOutTime: '11:00',
          units: [{ unitId: 1, action: 'R1' }],
        },
        room: {
          timeZone: ZONE,
          checkInTime: '15:00',
          checkOutTime: '11:00',
          units: [{ unitId: 2, action: 'R1' }],
        },
      },
      sources: {
        feed: {
          type: 'ical',
          url: 'https://feeds.example/cal/secret-token.ics',
          resources: 'flat',
          ...source,
        },
      },
    },
    {},
  );
  const [resolved] = resolveFeedSources(config, env);
  if (!resolved) throw new Error('no source');
  return resolved;
}

/** The fixtures' series window (expected-events.json `_format.seriesWindowUtc`). */
export const FIXTURE_WINDOW = {
  from: new Date('2000-01-01T00:00:00Z'),
  to: new Date('2028-01-01T00:00:00Z'),
};
