import { CorruptRecordError, createBookingStore, createUnitStore } from '../../src/store';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';

describe('booking records in Redis', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('records');
  const store = createBookingStore(redis, prefix);
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  const record = {
    key: 'pms/B-1',
    source: 'pms',
    externalId: 'B-1',
    resource: 'room',
    status: 'confirmed' as const,
    pin: '604719',
    validFromIso: '2037-01-10T14:30:00+01:00',
    validToIso: '2037-01-12T11:30:00+01:00',
    entries: [
      {
        unitId: 7001,
        entryId: 12,
        idNumber: '+46701112233',
        action: 'R1',
        name: 'Ada',
        description: 'fs:B-1',
        codeTag: '604719',
        validFromIso: '2037-01-10T14:30:00+01:00',
        validToIso: '2037-01-12T11:30:00+01:00',
      },
    ],
    updatedIso: '2026-11-25T20:00:00.000Z',
  };

  it('round-trips a record, indexes its key, and reads just the entries for reconciliation', async () => {
    await store.put(record);
    expect(await store.get('pms/B-1')).toEqual(record);
    expect(await store.keys()).toEqual(['pms/B-1']);
    expect(await store.getEntries('pms/B-1')).toEqual({
      key: record.key,
      validToIso: record.validToIso,
      entries: record.entries,
      updatedIso: record.updatedIso,
    });
    expect(await store.get('pms/unknown')).toBeUndefined();
  });

  it('a record that is not JSON, or breaks the schema, is a CorruptRecordError naming its key', async () => {
    await redis.set(`${prefix}:booking:pms/broken`, '{not json');
    await redis.set(
      `${prefix}:booking:pms/wrong`,
      JSON.stringify({ ...record, key: 'pms/wrong', entries: 'none' }),
    );
    await expect(store.get('pms/broken')).rejects.toThrow(CorruptRecordError);
    await expect(store.get('pms/broken')).rejects.toThrow(`${prefix}:booking:pms/broken`);
    await expect(store.getEntries('pms/wrong')).rejects.toThrow(/entries/);
  });

  it('reads many whole records in one go, in order: a record, nothing, or the problem of an unreadable one', async () => {
    await store.put(record);
    await redis.set(`${prefix}:booking:pms/garbled`, '{not json');
    const read = [...(await store.getMany(['pms/garbled', 'pms/B-1', 'pms/absent']))];
    expect(read.map(([key]) => key)).toEqual(['pms/garbled', 'pms/B-1', 'pms/absent']);
    expect(read[0]?.[1]).toBeInstanceOf(CorruptRecordError);
    expect(read[1]?.[1]).toEqual(record);
    expect(read[2]?.[1]).toBeUndefined();
    expect([...(await store.getMany([]))]).toEqual([]);
  });

  it('the write-ahead claims, saves and marks in one step, or writes nothing when a claim is taken', async () => {
    const units = createUnitStore(redis, prefix);
    const wanted = {
      ...record,
      key: 'pms/W-1',
      externalId: 'W-1',
      applying: true,
      entries: [],
    };
    // Another booking holds the code on 9002: nothing of W-1 is written, not even its claims on 9001.
    expect((await units.claimIfFree('pms/OTHER', new Map([[9002, { code: '604719' }]]))).size).toBe(0);
    const claims = new Map([
      [9001, { code: '604719', idNumber: '+46701112233' }],
      [9002, { code: '604719', idNumber: '+46701112233' }],
    ]);
    const taken = await store.putClaiming(wanted, { indexed: false, claims, awaitingUnits: [9001, 9002] });
    expect([...taken]).toEqual([[9002, { codes: new Set(['604719']), idNumbers: new Set() }]]);
    expect(await store.get('pms/W-1')).toBeUndefined();
    expect(await store.keys()).not.toContain('pms/W-1');
    expect(await units.awaitingUnitsOf('pms/W-1')).toEqual([]);
    expect((await units.awaiting(9001)).size).toBe(0);
    expect((await units.usage([9001], 'nobody')).get(9001)).toEqual({
      codes: new Set(),
      idNumbers: new Set(),
    });

    // Once the code is free on 9002: claims, record, index entry and marks, all of them.
    await units.release(9002, 'pms/OTHER', { code: '604719' });
    expect(
      (await store.putClaiming(wanted, { indexed: false, claims, awaitingUnits: [9001, 9002] })).size,
    ).toBe(0);
    expect(await store.get('pms/W-1')).toEqual(wanted);
    expect(await store.keys()).toContain('pms/W-1');
    expect(await units.awaitingUnitsOf('pms/W-1')).toEqual([9001, 9002]);
    expect([...(await units.awaiting(9002)).keys()]).toEqual(['pms/W-1']);
    expect(await units.knownUnits()).toEqual(expect.arrayContaining([9001, 9002]));
    expect((await units.usage([9001, 9002], 'nobody')).get(9002)).toEqual({
      codes: new Set(['604719']),
      idNumbers: new Set(['+46701112233']),
    });
    // Its own claims are no obstacle the next time (a retry of the same plan).
    expect((await store.putClaiming(wanted, { indexed: true, claims, awaitingUnits: [] })).size).toBe(0);
  });
});
