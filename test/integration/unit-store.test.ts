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

  it('claims a noted booking for announcing once no unit waits for it, for one caller only', async () => {
    const generation = await units.markAwaiting(601, 'pms/C');
    await units.noteToAnnounce(['pms/C', 'pms/D']);
    // pms/C still waits on 601; pms/D waits nowhere but is noted; pms/E is not noted at all.
    const first = await units.claimAnnounceable(['pms/C', 'pms/D', 'pms/E']);
    expect(first.bookingKeys).toEqual(['pms/D']);
    // Claimed: nobody else gets it, even though it is not announced yet.
    expect((await units.claimAnnounceable(['pms/D'])).bookingKeys).toEqual([]);
    expect(await redis.zscore(`${prefix}:announcing`, 'pms/D')).toBe(String(first.at));

    // Two confirmations of pms/C's last units at the same moment: exactly one claims it.
    await units.clearAwaiting(601, new Map([['pms/C', generation]]));
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => units.claimAnnounceable(['pms/C', 'pms/D'])),
    );
    expect(racing.flatMap((claim) => claim.bookingKeys)).toEqual(['pms/C']);

    await units.endAnnouncing(first.at, ['pms/D']);
    const cClaim = racing.find((claim) => claim.bookingKeys.length > 0);
    await units.endAnnouncing(cClaim?.at ?? 0, ['pms/C']);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);
    expect(await units.pendingAnnouncements()).toEqual([]);
  });

  it('notes again what a claimer hands back, keeps a later claim, and takes back claims left too long', async () => {
    await units.noteToAnnounce(['pms/F']);
    const handedBack = await units.claimAnnounceable(['pms/F']);
    await units.endAnnouncing(handedBack.at, ['pms/F'], true);
    expect(await units.pendingAnnouncements()).toEqual(['pms/F']);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);

    // Claimed, then changed and confirmed again: the second claim survives the first one's end.
    const older = await units.claimAnnounceable(['pms/F']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await units.noteToAnnounce(['pms/F']);
    const newer = await units.claimAnnounceable(['pms/F']);
    expect(newer.bookingKeys).toEqual(['pms/F']);
    expect(newer.at).toBeGreaterThan(older.at);
    await units.endAnnouncing(older.at, ['pms/F']);
    expect(await redis.zscore(`${prefix}:announcing`, 'pms/F')).toBe(String(newer.at));

    // Its claimer died before publishing: a young claim stays, an old one is noted again.
    expect(await units.reclaimStaleAnnouncements(60_000)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await units.reclaimStaleAnnouncements(1)).toEqual(['pms/F']);
    expect(await units.pendingAnnouncements()).toEqual(['pms/F']);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);

    // Announced by the bookings job itself: note and any claim go.
    await units.claimAnnounceable(['pms/F']);
    await units.noteToAnnounce(['pms/F']);
    await units.announced('pms/F');
    expect(await units.pendingAnnouncements()).toEqual([]);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);
  });

  it('lists the units some change still has to reach, in one pipelined read', async () => {
    const sweepPrefix = uniquePrefix('awaiting-sweep');
    const store = createUnitStore(redis, sweepPrefix);
    try {
      expect(await store.unitsWithAwaiting()).toEqual([]);
      await store.markAwaiting(903, 'pms/G');
      const cleared = await store.markAwaiting(902, 'pms/G');
      await store.markAwaiting(901, 'pms/H');
      await store.updateState(904, { lastResult: 'completed' });
      await store.clearAwaiting(902, new Map([['pms/G', cleared]]));
      expect(await store.unitsWithAwaiting()).toEqual([901, 903]);
    } finally {
      await deleteKeysWithPrefix(redis, sweepPrefix);
    }
  });

  it('answers empty questions without asking Redis for nothing', async () => {
    expect(await units.awaitingGenerations(701, [])).toEqual([]);
    expect(await units.clearAwaiting(701, new Map())).toEqual([]);
    expect(await units.claimAnnounceable([])).toEqual({ at: 0, bookingKeys: [] });
    await expect(units.endAnnouncing(0, [])).resolves.toBeUndefined();
    await expect(units.announced()).resolves.toBeUndefined();
  });
});
