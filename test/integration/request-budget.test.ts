import { Redis } from 'ioredis';
import { createRequestBudget } from '../../src/coordination';
import { deleteKeysWithPrefix, testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';

const redisMicros = ([seconds, micros]: readonly (string | number)[]): number =>
  Number(seconds) * 1_000_000 + Number(micros);

describe('shared request budget (GCRA in Redis)', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('budget');
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('by default spaces requests evenly: never more than maxRequests in any window', async () => {
    const key = `${prefix}:even`;
    const budget = createRequestBudget({ redis, key, maxRequests: 10, perMs: 60_000 });
    expect(await budget.tryAcquire()).toBe(0);
    const wait = await budget.tryAcquire();
    expect(wait).toBeGreaterThan(2_000);
    expect(wait).toBeLessThanOrEqual(6_000);
  });

  it('keeps time finer than a millisecond: a budget of 100,000/s lets through requests sent one after another', async () => {
    const key = `${prefix}:fast`;
    const budget = createRequestBudget({ redis, key, maxRequests: 100_000, perMs: 1_000 });
    const waits: number[] = [];
    // Each call is a Redis round trip (tens of µs), longer than the 10 µs spacing: none has to wait.
    // Counted in whole milliseconds, every second call within one millisecond was told to wait 1 ms.
    for (let i = 0; i < 200; i++) waits.push(await budget.tryAcquire());
    expect(waits.filter((wait) => wait > 0)).toEqual([]);
  });

  it('still spaces requests at high rates: at 10,000/s, never more admitted than the elapsed time allows', async () => {
    const key = `${prefix}:dense`;
    // One write for the whole batch, so the scripts reach Redis together rather than one by one.
    const batched = new Redis(testRedisUrl(), { enableAutoPipelining: true });
    try {
      const budget = createRequestBudget({ redis: batched, key, maxRequests: 10_000, perMs: 1_000 });
      // Redis' clock read just before and just after the batch, on the same connection, so in order.
      const [before, waits, after] = await Promise.all([
        batched.time(),
        Promise.all(Array.from({ length: 100 }, () => budget.tryAcquire())),
        batched.time(),
      ]);
      const elapsedUs = redisMicros(after) - redisMicros(before);
      const admitted = waits.filter((wait) => wait === 0).length;
      // GCRA with burst 1 at a 100 µs interval: one at once, then one per 100 µs that really passed.
      // However fast or slow the machine is, that bound holds; without spacing all 100 would go.
      expect(admitted).toBeGreaterThanOrEqual(1);
      expect(admitted).toBeLessThanOrEqual(Math.floor(elapsedUs / 100) + 1);
      // The longest wait is for the 100th request: about 100 × 100 µs.
      expect(Math.max(...waits)).toBeLessThanOrEqual(11);
    } finally {
      batched.disconnect();
    }
  });

  it('with a burst, allows that many at once across two "processes", then makes both wait', async () => {
    const key = `${prefix}:a`;
    const processA = createRequestBudget({ redis, key, maxRequests: 10, perMs: 60_000, burst: 10 });
    const processB = createRequestBudget({ redis, key, maxRequests: 10, perMs: 60_000, burst: 10 });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      waits.push(await processA.tryAcquire());
      waits.push(await processB.tryAcquire());
    }
    expect(waits).toEqual(new Array(10).fill(0));
    const nextA = await processA.tryAcquire();
    const nextB = await processB.tryAcquire();
    // One request per 6 s is the steady rate once the burst is spent (margin for a loaded machine).
    expect(nextA).toBeGreaterThan(2_000);
    expect(nextA).toBeLessThanOrEqual(6_000);
    expect(nextB).toBeGreaterThan(2_000);
  });

  it('refusing a request does not spend budget', async () => {
    const key = `${prefix}:b`;
    const budget = createRequestBudget({ redis, key, maxRequests: 1, perMs: 60_000 });
    expect(await budget.tryAcquire()).toBe(0);
    const first = await budget.tryAcquire();
    const second = await budget.tryAcquire();
    expect(first).toBeGreaterThan(0);
    // Had the refused call counted, the second wait would be a whole window longer.
    expect(second).toBeLessThanOrEqual(first);
  });

  it('a pause after a 429 holds every process back, and a shorter pause never shortens it', async () => {
    const key = `${prefix}:c`;
    const a = createRequestBudget({ redis, key, maxRequests: 100, perMs: 1_000 });
    const b = createRequestBudget({ redis, key, maxRequests: 100, perMs: 1_000 });
    await a.pauseFor(5_000);
    await b.pauseFor(10);
    const wait = await b.tryAcquire();
    expect(wait).toBeGreaterThan(2_000);
    expect(await a.tryAcquire()).toBeGreaterThan(2_000);
  });

  it('acquire() resolves once the budget frees up, never sooner', async () => {
    const key = `${prefix}:d`;
    const slept: number[] = [];
    const budget = createRequestBudget({
      redis,
      key,
      maxRequests: 2,
      perMs: 200,
      burst: 2,
      sleep: (ms) => {
        slept.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    await budget.acquire();
    await budget.acquire();
    expect(slept).toEqual([]);
    await budget.acquire();
    expect(slept.length).toBeGreaterThan(0);
    expect(slept.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(90);
  });

  it('rejects a budget that cannot be met', () => {
    expect(() => createRequestBudget({ redis, key: 'x', maxRequests: 0, perMs: 1 })).toThrow(RangeError);
  });
});
