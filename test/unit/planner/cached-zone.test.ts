import { DateTime, IANAZone } from 'luxon';
import { CachedIanaZone } from '../../../src/planner/cached-zone';

const MINUTE = 60_000;

/** Instants a minute (and a few seconds) apart over the six hours around each of `isoTimes`. */
function instantsAround(isoTimes: readonly string[]): number[] {
  return isoTimes.flatMap((iso) => {
    const centre = Date.parse(iso);
    return Array.from({ length: 360 }, (_, i) => centre + (i - 180) * MINUTE + (i % 7) * 1_000);
  });
}

describe('CachedIanaZone', () => {
  it.each([
    ['Europe/Stockholm', ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-07-01T12:00:00Z']],
    ['America/New_York', ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z']],
    // A half-hour DST shift and a quarter-hour zone.
    ['Australia/Lord_Howe', ['2026-04-05T15:00:00Z', '2026-10-03T15:30:00Z']],
    ['Asia/Kathmandu', ['1985-12-31T18:30:00Z', '2026-01-01T00:00:00Z']],
    // Transitions that are not on a quarter hour (from local mean time): inside a cache bucket.
    ['Africa/Monrovia', ['1972-01-07T00:44:30Z']],
    ['Europe/Dublin', ['1916-05-21T02:25:21Z', '1916-10-01T02:25:21Z']],
  ])(
    'gives exactly the offsets of IANAZone in %s, around transitions, computed and cached',
    (name, around) => {
      const exact = IANAZone.create(name);
      const cached = new CachedIanaZone(name);
      const instants = instantsAround(around);
      for (const pass of ['computing', 'from the cache']) {
        for (const ts of instants) {
          expect({ pass, at: new Date(ts).toISOString(), offset: cached.offset(ts) }).toEqual({
            pass,
            at: new Date(ts).toISOString(),
            offset: exact.offset(ts),
          });
        }
      }
    },
  );

  it('stands in for the IANA zone in luxon: same ISO text, same zone for equality', () => {
    const cached = new CachedIanaZone('Europe/Stockholm');
    const ts = Date.parse('2026-10-25T00:30:00Z');
    const viaCache = DateTime.fromMillis(ts, { zone: cached });
    const viaName = DateTime.fromMillis(ts, { zone: 'Europe/Stockholm' });
    expect(viaCache.toISO()).toBe(viaName.toISO());
    expect(viaCache.zoneName).toBe('Europe/Stockholm');
    expect(cached.equals(IANAZone.create('Europe/Stockholm'))).toBe(true);
    expect(viaCache.toFormat('ZZZZ')).toBe(viaName.toFormat('ZZZZ'));
    expect(viaCache.plus({ hours: 2 }).toISO()).toBe(viaName.plus({ hours: 2 }).toISO());
  });

  it('is invalid for an unknown zone name, as IANAZone is', () => {
    expect(new CachedIanaZone('Mars/Olympus_Mons').isValid).toBe(false);
  });
});
