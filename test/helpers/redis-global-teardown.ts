import type { EmbeddedRedis } from '../../src/redis';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __flexysyncTestRedis?: EmbeddedRedis }).__flexysyncTestRedis?.stop();
}
