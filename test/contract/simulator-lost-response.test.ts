import { INTEGRATOR, SEED_UNITS, startTestSimulator } from '../helpers/simulator';

describe('simulator fault: a response lost after the request was handled (dropPhase "after")', () => {
  it('makes the change and then cuts the connection; a drop "before" changes nothing', async () => {
    const sim = await startTestSimulator();
    const entry = (idNumber: string) => ({
      unitId: SEED_UNITS.main,
      idNumber,
      action: 'R1',
      codeTag: '482916',
    });

    sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', dropRate: 1, dropPhase: 'after', count: 1 }]);
    await expect(sim.api('POST', 'UnitIdEntries', { body: entry('LOST-AFTER') })).rejects.toThrow();
    sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', dropRate: 1, dropPhase: 'before', count: 1 },
    ]);
    await expect(sim.api('POST', 'UnitIdEntries', { body: entry('LOST-BEFORE') })).rejects.toThrow();
    sim.simulator.clearFaults();

    const list = await sim.api('GET', `UnitIdEntries?unitId=${SEED_UNITS.main}&search=LOST`, {
      user: INTEGRATOR,
    });
    expect(list.body.items.map((row: { idNumber: string }) => row.idNumber)).toEqual(['LOST-AFTER']);
  });
});
