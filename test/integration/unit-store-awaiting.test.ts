import { createUnitStore } from '../../src/store';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';

/** The marks that say which units still wait for which booking's change, and the announcements after. */
describe('unit store: awaiting marks and announcements in Redis', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('awaiting');
  const units = createUnitStore(redis, prefix);
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('clears only marks whose generation did not move, and only from their own booking', async () => {
    const first = await units.markAwaiting(501, 'pms/A');
    const other = await units.markAwaiting(501, 'pms/B');
    await units.markAwaiting(502, 'pms/A');
    expect(await units.awaitingGenerations(501, ['pms/A', 'pms/B', 'pms/none'])).toEqual([
      first,
      other,
      null,
    ]);

    // pms/B changed again after the snapshot: its new generation keeps it waiting on unit 501.
    const newer = await units.markAwaiting(501, 'pms/B');
    const cleared = await units.clearAwaiting(
      501,
      new Map([
        ['pms/A', first],
        ['pms/B', other],
      ]),
    );
    expect(cleared).toEqual(['pms/A']);
    expect(await units.awaitingGenerations(501, ['pms/A', 'pms/B'])).toEqual([null, newer]);
    expect(await units.awaitingUnitsOf('pms/A')).toEqual([502]);
    expect(await units.awaitingUnitsOf('pms/B')).toEqual([501]);
  });

  it('announces a noted booking once no unit waits for it, and forgets it when told', async () => {
    const generation = await units.markAwaiting(601, 'pms/C');
    await units.noteToAnnounce(['pms/C', 'pms/D']);
    // pms/C still waits on 601; pms/D waits nowhere but is noted; pms/E is not noted at all.
    expect(await units.announceable(['pms/C', 'pms/D', 'pms/E'])).toEqual(['pms/D']);

    await units.clearAwaiting(601, new Map([['pms/C', generation]]));
    expect(await units.announceable(['pms/C', 'pms/D', 'pms/E'])).toEqual(['pms/C', 'pms/D']);

    await units.announced('pms/C', 'pms/D');
    expect(await units.announceable(['pms/C', 'pms/D'])).toEqual([]);
    expect(await units.pendingAnnouncements()).toEqual([]);
  });

  it('answers empty questions without asking Redis for nothing', async () => {
    expect(await units.awaitingGenerations(701, [])).toEqual([]);
    expect(await units.clearAwaiting(701, new Map())).toEqual([]);
    expect(await units.announceable([])).toEqual([]);
    await expect(units.announced()).resolves.toBeUndefined();
  });
});
