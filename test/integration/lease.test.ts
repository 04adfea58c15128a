import { createLeaseManager } from '../../src/coordination';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

describe('leases (cross-process mutual exclusion with fencing)', () => {
  const redisA = testRedis();
  const redisB = testRedis();
  const prefix = uniquePrefix('lease');
  const processA = createLeaseManager(redisA, prefix);
  const processB = createLeaseManager(redisB, prefix);

  afterAll(async () => {
    await deleteKeysWithPrefix(redisA, prefix);
    await Promise.all([redisA.quit(), redisB.quit()]);
  });

  it('only one holder at a time; the next one gets a higher fence', async () => {
    const a = await processA.tryAcquire('unit-1', 10_000);
    expect(a).not.toBeNull();
    expect(await processB.tryAcquire('unit-1', 10_000)).toBeNull();
    expect(await processB.holder('unit-1')).toBe(a?.fence);
    await a?.release();
    const b = await processB.tryAcquire('unit-1', 10_000);
    expect(b?.fence).toBeGreaterThan(a?.fence ?? Number.POSITIVE_INFINITY);
    await b?.release();
    expect(await processA.holder('unit-1')).toBeNull();
  });

  it('different names do not exclude each other', async () => {
    const one = await processA.tryAcquire('unit-2', 10_000);
    const two = await processB.tryAcquire('unit-3', 10_000);
    expect(one).not.toBeNull();
    expect(two).not.toBeNull();
    await Promise.all([one?.release(), two?.release()]);
  });

  it('a holder whose lease expired cannot extend or release the new holder’s lease', async () => {
    const stale = await processA.tryAcquire('unit-4', 50);
    expect(stale).not.toBeNull();
    const fresh = await waitFor(() => processB.tryAcquire('unit-4', 10_000), { description: 'lease expiry' });
    expect(await stale?.isHeld()).toBe(false);
    expect(await stale?.extend(10_000)).toBe(false);
    await stale?.release();
    expect(await fresh.isHeld()).toBe(true);
    expect(await processA.holder('unit-4')).toBe(fresh.fence);
    await fresh.release();
  });

  it('extend keeps a live lease alive', async () => {
    // Still live when extended even if the machine pauses a while in between; far shorter than the
    // extension, so the remaining time proves the lease was extended.
    const lease = await processA.tryAcquire('unit-5', 2_000);
    expect(await lease?.extend(10_000)).toBe(true);
    expect(await redisA.pttl(`${prefix}:lease:{unit-5}`)).toBeGreaterThan(5_000);
    await lease?.release();
  });
});
