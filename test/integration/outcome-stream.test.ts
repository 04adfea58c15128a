import { createOutcomeStream, type OutcomeEvent } from '../../src/events';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';

const applied: OutcomeEvent = {
  source: 'pms',
  externalId: 'B-1',
  state: 'applied',
  units: [{ unitId: 3023, state: 'pending' }],
  validFrom: '2026-12-01T14:30:00+01:00',
  validTo: '2026-12-04T11:30:00+01:00',
  pin: '604719',
  revision: 3,
  at: '2026-11-25T20:00:00.000Z',
};

describe('outcome events stream', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('events');
  const stream = createOutcomeStream({ redis, prefix });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('publishes to <prefix>:events with flat fields any XREAD client can use, and reads them back', async () => {
    const id = await stream.publish(applied);
    expect(stream.key).toBe(`${prefix}:events`);
    const raw = await redis.xrange(stream.key, id, id);
    const fields = raw[0]?.[1] ?? [];
    expect(fields).toEqual(
      expect.arrayContaining(['source', 'pms', 'externalId', 'B-1', 'state', 'applied', 'pin', '604719']),
    );
    const [read] = await stream.read();
    expect(read).toEqual({ id, ...applied });
  });

  it('omits the PIN when the event carries none, and reads after a cursor', async () => {
    const first = await stream.publish({ ...applied, state: 'synced', pin: undefined });
    await stream.publish({ ...applied, state: 'revoked', pin: undefined, validFrom: null, validTo: null });
    const after = await stream.read(first);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ state: 'revoked', validFrom: null, validTo: null });
    expect(after[0]).not.toHaveProperty('pin');
  });

  it('refuses an event that breaks the schema, naming the field', async () => {
    await expect(stream.publish({ ...applied, state: 'done' as never })).rejects.toThrow(/state/);
  });
});
