import { runCli } from '../helpers/cli';
import { type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';
import { writeConfigFile } from '../helpers/worker-processes';

describe('flexysync resync --unit: a replaced (empty) unit gets every entry again', () => {
  let engine: Engine;
  afterEach(async () => {
    await engine.close();
  });

  it('marks all the unit’s data changed through Tools and syncs it back into the new device', async () => {
    engine = await startEngine({
      seed: {
        ...engineSeed(2),
        idEntries: [
          { unitId: 7001, idNumber: 'TAG-1', name: 'Cleaner', description: 'hand-made', action: 'R2' },
        ],
      },
      resources: { room: { timeZone: 'Europe/Stockholm', units: [{ unitId: 7001, action: 'R1' }] } },
    });
    await engine.enqueue(
      [1, 2, 3].map((i) => ({
        source: 'pms',
        externalId: `RS-${i}`,
        resource: 'room',
        start: '2037-05-01',
        end: '2037-05-04',
        status: 'confirmed',
      })),
    );
    for (const i of [1, 2, 3]) await engine.waitForState(`pms/RS-${i}`, 'synced');
    const before = engine
      .device(7001)
      .map((e) => `${e.idNumber}|${e.codeTag}`)
      .sort();
    expect(before).toHaveLength(4);

    engine.sim.simulator.updateUnit(7001, { replaced: true });
    expect(engine.device(7001)).toEqual([]);
    // The server still thinks everything is synced: a plain push has nothing to send.
    expect(engine.sim.simulator.unit(7001).rows.every((row) => row.syncState === 'Synced')).toBe(true);

    const result = await runCli(['resync', '--unit', '7001'], {
      env: { ...engine.env, FLEXYSYNC_CONFIG: writeConfigFile(engine.configInput), LOG_LEVEL: 'warn' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/unit 7001: 4 row\(s\) marked changed; a sync is queued/);

    // The running worker picks the sync up; the new unit holds everything again, hand-made entry included.
    await waitFor(() => engine.device(7001).length === 4, {
      timeoutMs: 15_000,
      description: 'device refilled',
    });
    expect(
      engine
        .device(7001)
        .map((e) => `${e.idNumber}|${e.codeTag}`)
        .sort(),
    ).toEqual(before);
  });
});
