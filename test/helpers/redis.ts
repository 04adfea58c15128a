import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The private redis-server started by the integration project's global setup. */
export function testRedisUrl(): string {
  const url = process.env.FLEXYSYNC_TEST_REDIS_URL;
  if (!url) {
    throw new Error(
      'FLEXYSYNC_TEST_REDIS_URL is not set: Redis tests belong in test/integration (global setup)',
    );
  }
  return url;
}

/** A key prefix no other test uses, so tests can share the server without seeing each other. */
export function uniquePrefix(label = 'test'): string {
  return `fst-${label}-${randomBytes(4).toString('hex')}`;
}

/** A connection suitable for BullMQ workers (`maxRetriesPerRequest: null`). */
export function testRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null, lazyConnect: false });
}

/** Deletes every key under `prefix` (with SCAN, never KEYS). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
