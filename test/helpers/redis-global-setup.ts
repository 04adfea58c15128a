import { startEmbeddedRedis } from '../../src/redis';

/**
 * Starts one private redis-server for the integration project. Tests isolate themselves from each
 * other with a unique key prefix (see ./redis.ts), never by using the shared 6379.
 */
export default async function globalSetup(): Promise<void> {
  const redis = await startEmbeddedRedis();
  process.env.FLEXYSYNC_TEST_REDIS_URL = redis.url;
  (globalThis as { __flexysyncTestRedis?: typeof redis }).__flexysyncTestRedis = redis;
}
