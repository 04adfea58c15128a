import { DateTime } from 'luxon';
import { parseIsoWhen } from '../../../src/domain/iso-when';

/** luxon's reading, the rule parseIsoWhen follows (it was the validator before). */
function luxonReading(value: string): number | undefined {
  const parsed = DateTime.fromISO(value, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

const dates = [
  '2026-12-01',
  '2026-02-28',
  '2026-02-29',
  '2024-02-29',
  '2000-02-29',
  '1900-02-29',
  '2100-02-29',
  '2026-04-30',
  '2026-04-31',
  '2026-12-31',
  '2026-13-01',
  '2026-00-10',
  '2026-01-00',
  '2026-01-32',
  '0000-01-01',
  '0099-12-31',
  '0004-02-29',
  '9999-12-31',
];
const times = [
  'T00:00',
  'T15:00:00',
  'T23:59:59',
  'T23:59:59.999',
  'T10:00:00.5',
  'T10:00:00.123456789',
  'T24:00',
  'T24:00:00',
  'T24:00:00.000',
  'T24:00:00.5',
  'T24:30',
  'T25:00',
  'T23:60',
  'T10:00:60',
  'T02:30:00',
];
const zones = [
  'Z',
  '+01:00',
  '-05:00',
  '+0530',
  '-0930',
  '+14',
  '-12:00',
  '+00:00',
  '-00:00',
  '+23:59',
  '+2500',
  '-99',
];

describe('parseIsoWhen', () => {
  it('reads every calendar date as luxon does (validity and instant)', () => {
    for (const date of dates) {
      const ours = parseIsoWhen(date);
      const luxon = luxonReading(date);
      expect({ date, valid: ours !== undefined }).toEqual({ date, valid: luxon !== undefined });
      if (ours) {
        expect(ours.dateOnly).toBe(true);
        expect(ours.epochMs).toBe(luxonReading(`${date}T00:00Z`));
      }
    }
  });

  it('reads every date-time as luxon does: the same verdict and the same instant', () => {
    // luxon puts 24:00 of years 0–99 on the same day (a quirk of its own), so those years are left out here.
    const modernDates = dates.filter((date) => !date.startsWith('00'));
    let compared = 0;
    for (const date of modernDates) {
      for (const time of times) {
        for (const zone of zones) {
          const value = `${date}${time}${zone}`;
          const ours = parseIsoWhen(value);
          expect({ value, epochMs: ours?.epochMs }).toEqual({ value, epochMs: luxonReading(value) });
          if (ours) expect(ours.dateOnly).toBe(false);
          compared++;
        }
      }
    }
    expect(compared).toBe(modernDates.length * times.length * zones.length);
  });

  it('reads 24:00 as midnight at the end of the day, in every year', () => {
    expect(parseIsoWhen('2026-12-31T24:00Z')?.epochMs).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(parseIsoWhen('0050-01-01T24:00Z')?.epochMs).toBe(parseIsoWhen('0050-01-02T00:00Z')?.epochMs);
  });

  it.each([
    '2026-12-01T15:00:00',
    '2026-12-01T15Z',
    '2026-12-01 15:00Z',
    '2026-1-01',
    '20261201',
    '2026-12-01T15:00:00.1234567890Z',
    '2026-12-01T15:00:00+1',
    '',
    'tomorrow',
  ])('refuses %j (not one of the two shapes)', (value) => {
    expect(parseIsoWhen(value)).toBeUndefined();
  });
});
