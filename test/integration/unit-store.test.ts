import { createUnitStore } from '../../src/store';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';

/** Claims, the marks that say which units still wait for which booking's change, and announcements. */
describe('unit store in Redis: claims, awaiting marks, announcements', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('awaiting');
  const units = createUnitStore(redis, prefix);
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('claims codes and idNumbers on several units all or nothing, and reports what another owner holds', async () => {
    const claims = new Map([
      [801, { code: '482913', idNumber: '+46701112233' }],
      [802, { code: '482913', idNumber: '+46701112233' }],
    ]);
    expect((await units.claimIfFree('pms/A', claims)).size).toBe(0);
    // Claiming again what one already holds is fine.
    expect((await units.claimIfFree('pms/A', claims)).size).toBe(0);

    // pms/B wants the same code on 802 and a free one on 803: nothing of it is written.
    const taken = await units.claimIfFree(
      'pms/B',
      new Map([
        [803, { code: '111290', idNumber: 'fsB' }],
        [802, { code: '482913', idNumber: 'fsB' }],
      ]),
    );
    expect([...taken]).toEqual([[802, { codes: new Set(['482913']), idNumbers: new Set() }]]);
    const usage803 = await units.usage([803], 'nobody');
    expect(usage803.get(803)).toEqual({ codes: new Set(), idNumbers: new Set() });
    const usage802 = await units.usage([802], 'pms/B');
    expect(usage802.get(802)).toEqual({ codes: new Set(['482913']), idNumbers: new Set(['+46701112233']) });
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
