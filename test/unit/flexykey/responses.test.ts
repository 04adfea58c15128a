import {
  bookingSchema,
  controlStatusSchema,
  logPageSchema,
  syncStatusSchema,
  unitIdEntryPageSchema,
  unitIdEntrySchema,
  unitListSchema,
  webhookConfigListSchema,
  webhookEventListSchema,
} from '../../../src/flexykey';
import { entryRow } from './helpers/test-server';

describe('lenient response parsing', () => {
  it('keeps unknown fields', () => {
    const parsed = unitIdEntrySchema.parse(
      entryRow(1, { vendorExtra: { a: 1 }, createdIso: '2026-01-01T00:00:00Z' }),
    );
    expect(parsed.vendorExtra).toEqual({ a: 1 });
    expect(parsed.createdIso).toBe('2026-01-01T00:00:00Z');
  });

  it('accepts ids as numeric strings and normalises them to numbers', () => {
    const parsed = unitIdEntrySchema.parse(entryRow(1, { id: '42', unitId: '3023' }));
    expect(parsed.id).toBe(42);
    expect(parsed.unitId).toBe(3023);
  });

  it('tolerates absent optional fields', () => {
    const parsed = unitIdEntrySchema.parse({ id: 1, unitId: 2, idNumber: 'A', action: 'G13' });
    expect(parsed).toEqual({ id: 1, unitId: 2, idNumber: 'A', action: 'G13' });
  });

  it('reads a numeric codeTag or idNumber as a string', () => {
    const parsed = unitIdEntrySchema.parse(entryRow(1, { codeTag: 482913, idNumber: 46701234567 }));
    expect(parsed.codeTag).toBe('482913');
    expect(parsed.idNumber).toBe('46701234567');
  });

  it('passes unknown sync states through', () => {
    expect(unitIdEntrySchema.parse(entryRow(1, { syncState: 'Quarantined' })).syncState).toBe('Quarantined');
  });

  it('accepts the assumed envelope and a bare array for entry pages', () => {
    const envelope = unitIdEntryPageSchema.parse({
      total: 2,
      limit: 10,
      offset: 0,
      items: [entryRow(1), entryRow(2)],
    });
    expect(envelope.total).toBe(2);
    expect(envelope.items.map((e) => e.id)).toEqual([1, 2]);
    const bare = unitIdEntryPageSchema.parse([entryRow(1)]);
    expect(bare.items).toHaveLength(1);
    expect(bare.total).toBeUndefined();
  });

  it('accepts a bare array and an { items } envelope for plain lists', () => {
    const unit = { unitId: 3023, serialNumber: '040530585131396' };
    expect(unitListSchema.parse([unit])).toHaveLength(1);
    expect(unitListSchema.parse({ items: [unit], total: 1 })).toHaveLength(1);
  });

  it('fills absent unit collections with []', () => {
    const [unit] = unitListSchema.parse([{ unitId: 3023, relays: [{ localNumber: 1, globalNumber: 'F1' }] }]);
    expect(unit?.relays).toEqual([{ localNumber: 1, globalNumber: 'F1' }]);
    expect(unit?.expansions).toEqual([]);
    expect(unit?.sensors).toEqual([]);
  });

  it('keeps serial numbers as strings (leading zeros)', () => {
    const [unit] = unitListSchema.parse([{ unitId: 3023, serialNumber: '040530585131396' }]);
    expect(unit?.serialNumber).toBe('040530585131396');
  });

  it('derives active from state when the sync status omits it', () => {
    expect(syncStatusSchema.parse({ state: 'InProgress' }).active).toBe(true);
    expect(syncStatusSchema.parse({ state: 'Completed', active: 0 }).active).toBe(false);
    expect(
      syncStatusSchema.parse({
        unitId: 1,
        active: false,
        state: 'None',
        message: 'No active unit programming',
      }).message,
    ).toBe('No active unit programming');
  });

  it('accepts the documented control status with null X-input fields', () => {
    const status = controlStatusSchema.parse({
      unitId: 3023,
      serialNumber: '040530585131396',
      statusTimestampIso: '2025-11-21T10:21:11Z',
      inputs: [{ globalNumber: 'I1', state: 1 }],
      xInputsStatusTimestamp: null,
      xInputsStatusTimestampIso: null,
      rawXInputsStatus: null,
      xInputs: [],
      isCached: false,
    });
    expect(status.xInputs).toEqual([]);
    expect(status.inputs).toEqual([{ globalNumber: 'I1', state: 1 }]);
  });

  it('reads webhook rows from an array, a single object or an envelope; isActive 1/0 as boolean', () => {
    const row = { unitId: 1, event: 'control.statusChanged', isActive: 1, hasSecret: 0 };
    expect(webhookConfigListSchema.parse([row])[0]?.isActive).toBe(true);
    expect(webhookConfigListSchema.parse(row)[0]?.hasSecret).toBe(false);
    expect(webhookConfigListSchema.parse({ items: [row] })).toHaveLength(1);
    expect(webhookConfigListSchema.parse(undefined)).toEqual([]);
  });

  it('normalises webhook events to names', () => {
    expect(webhookEventListSchema.parse(['control.statusChanged'])).toEqual(['control.statusChanged']);
    expect(webhookEventListSchema.parse([{ event: 'control.statusChanged', description: 'x' }])).toEqual([
      'control.statusChanged',
    ]);
    expect(webhookEventListSchema.parse({ events: ['a'] })).toEqual(['a']);
  });

  it('reads a numeric bookingId as a string', () => {
    expect(bookingSchema.parse({ bookingId: 981 }).bookingId).toBe('981');
  });

  it('logs accept { total, items } without limit/offset', () => {
    expect(logPageSchema.parse({ total: 0, items: [] }).items).toEqual([]);
  });
});

describe('what we rely on is still required', () => {
  const firstPath = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
    result.error?.issues[0]?.path.join('.');

  it('an entry without id fails at items.N.id', () => {
    const result = unitIdEntryPageSchema.safeParse({
      total: 2,
      items: [entryRow(1), { ...entryRow(2), id: undefined }],
    });
    expect(result.success).toBe(false);
    expect(firstPath(result)).toBe('items.1.id');
  });

  it('an id that is not numeric fails', () => {
    expect(unitIdEntrySchema.safeParse(entryRow(1, { id: 'abc' })).success).toBe(false);
  });

  it('a unit without unitId fails', () => {
    expect(firstPath(unitListSchema.safeParse([{ serialNumber: 'S' }]))).toBe('0.unitId');
  });

  it('a sync status without state fails', () => {
    expect(firstPath(syncStatusSchema.safeParse({ active: true }))).toBe('state');
  });

  it('a booking without bookingId fails', () => {
    expect(firstPath(bookingSchema.safeParse({ startIso: '2026-01-01T00:00:00Z' }))).toBe('bookingId');
  });
});
