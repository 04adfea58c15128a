import { deleteKeysWithPrefix, testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';

describe('private test Redis', () => {
  const redis = testRedis();
  afterAll(() => redis.quit());

  it('is a private server, never the shared 6379, with noeviction', async () => {
    expect(new URL(testRedisUrl()).port).not.toBe('6379');
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
  });

  it('cleans up only the keys of one prefix', async () => {
    const mine = uniquePrefix('mine');
    const theirs = uniquePrefix('theirs');
    await redis.set(`${mine}:a`, '1');
    await redis.set(`${mine}:b`, '2');
    await redis.set(`${theirs}:a`, '3');
    expect(await deleteKeysWithPrefix(redis, mine)).toBe(2);
    expect(await redis.exists(`${mine}:a`, `${mine}:b`)).toBe(0);
    expect(await redis.get(`${theirs}:a`)).toBe('3');
    await deleteKeysWithPrefix(redis, theirs);
  });
});
