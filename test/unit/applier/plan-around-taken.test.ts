import {
  ClaimsTakenError,
  IdNumberTakenError,
  OwnEntryFoundError,
  planAroundTaken,
  takenBy,
} from '../../../src/applier';
import type { UnitIdEntry } from '../../../src/flexykey';
import type { UnitsInUse } from '../../../src/planner';

const codeTaken = (unitId: number, code: string) =>
  new ClaimsTakenError(new Map([[unitId, { codes: new Set([code]), idNumbers: new Set<string>() }]]));

/** The taken map as plain arrays, for readable assertions. */
function plain(taken: UnitsInUse) {
  return Object.fromEntries(
    [...taken].map(([unitId, usage]) => [
      unitId,
      { codes: [...usage.codes], idNumbers: [...usage.idNumbers] },
    ]),
  );
}

describe('takenBy', () => {
  it('reads what a refused claim or a taken idNumber says is in use', () => {
    expect(plain(takenBy(codeTaken(7, '583920')) ?? new Map())).toEqual({
      7: { codes: ['583920'], idNumbers: [] },
    });
    expect(plain(takenBy(new IdNumberTakenError(8, '+46701234567')) ?? new Map())).toEqual({
      8: { codes: [], idNumbers: ['+46701234567'] },
    });
  });

  it('says nothing of other failures', () => {
    expect(takenBy(new Error('socket hang up'))).toBeUndefined();
    expect(takenBy(undefined)).toBeUndefined();
  });
});

describe('planAroundTaken', () => {
  it('returns the first attempt that goes through, with nothing taken on the first', async () => {
    const seen: UnitsInUse[] = [];
    const result = await planAroundTaken({
      attempts: 3,
      attempt: async (taken) => {
        seen.push(taken);
        return 'applied';
      },
    });
    expect(result).toBe('applied');
    expect(seen.map(plain)).toEqual([{}]);
  });

  it('plans each next attempt around everything found taken so far', async () => {
    const failures = [
      codeTaken(7, '583920'),
      new IdNumberTakenError(7, '+46701234567'),
      codeTaken(9, '271828'),
    ];
    const seen: ReturnType<typeof plain>[] = [];
    const told: string[] = [];
    const result = await planAroundTaken({
      attempts: 4,
      attempt: async (taken) => {
        seen.push(plain(taken));
        const failure = failures.shift();
        if (failure) throw failure;
        return 'applied';
      },
      onTaken: (error) => {
        told.push(error.name);
      },
    });
    expect(result).toBe('applied');
    expect(told).toEqual(['ClaimsTakenError', 'IdNumberTakenError', 'ClaimsTakenError']);
    expect(seen).toEqual([
      {},
      { 7: { codes: ['583920'], idNumbers: [] } },
      { 7: { codes: ['583920'], idNumbers: ['+46701234567'] } },
      {
        7: { codes: ['583920'], idNumbers: ['+46701234567'] },
        9: { codes: ['271828'], idNumbers: [] },
      },
    ]);
  });

  it('throws the last attempt’s error once the attempts are used up', async () => {
    let calls = 0;
    const last = codeTaken(7, '000111');
    await expect(
      planAroundTaken({
        attempts: 3,
        attempt: async () => {
          calls++;
          throw calls === 3 ? last : codeTaken(7, String(calls));
        },
      }),
    ).rejects.toBe(last);
    expect(calls).toBe(3);
  });

  it('throws any other failure at once unless the caller recovers from it', async () => {
    const down = new Error('FlexyKey is down');
    let calls = 0;
    await expect(
      planAroundTaken({
        attempts: 4,
        attempt: async () => {
          calls++;
          throw down;
        },
        recover: () => false,
      }),
    ).rejects.toBe(down);
    expect(calls).toBe(1);

    const row = { id: 42, idNumber: '+46701234567', codeTag: '583920' } as UnitIdEntry;
    const recovered: unknown[] = [];
    let tries = 0;
    const result = await planAroundTaken({
      attempts: 4,
      attempt: async (taken) => {
        tries++;
        if (tries === 1) throw new OwnEntryFoundError(7, row);
        expect(taken.size).toBe(0);
        return 'adopted';
      },
      recover: (error) => {
        recovered.push(error);
        return error instanceof OwnEntryFoundError;
      },
    });
    expect(result).toBe('adopted');
    expect(recovered).toHaveLength(1);
  });

  it('gives a recovered failure no more attempts than the limit', async () => {
    let calls = 0;
    const row = { id: 42, idNumber: '+46701234567', codeTag: '583920' } as UnitIdEntry;
    await expect(
      planAroundTaken({
        attempts: 2,
        attempt: async () => {
          calls++;
          throw new OwnEntryFoundError(7, row);
        },
        recover: () => true,
      }),
    ).rejects.toBeInstanceOf(OwnEntryFoundError);
    expect(calls).toBe(2);
  });
});
