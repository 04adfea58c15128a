import { CorruptRecordError, createBookingStore } from '../../src/store';
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
});
