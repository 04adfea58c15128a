import { createFlexyKeyClient, type FlexyKeyClient } from '../../src/flexykey';
import { runCli } from '../helpers/cli';
import { ENGINE_USER, type Engine, startEngine } from '../helpers/engine';
import { writeConfigFile } from '../helpers/worker-processes';

/**
 * `--now` is for planning ("what will the doors accept next Friday?"). Applied, a plan made as of a
 * later moment would delete, as expired, the entries of guests staying now or not yet arrived (the
 * blast-radius guard covers only orphans): without `--dry-run` it is a usage error.
 */
const ZONE = 'Europe/Stockholm';
const RESOURCES = { 'flat-1': { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } };

describe('flexysync reconcile --now without --dry-run', () => {
  let engine: Engine;
  let client: FlexyKeyClient;

  beforeEach(async () => {
    engine = await startEngine({ resources: RESOURCES, config: { reconcile: { enabled: false } } });
    client = createFlexyKeyClient({ baseUrl: engine.sim.baseUrl, ...ENGINE_USER });
    await engine.enqueue([
      {
        source: 'pms',
        externalId: 'LIVE-1',
        resource: 'flat-1',
        start: '2037-01-10T15:00:00+01:00',
        end: '2037-01-12T11:00:00+01:00',
        status: 'confirmed',
        guest: { name: 'Guest LIVE-1' },
      },
    ]);
    await engine.waitForState('pms/LIVE-1', 'synced');
  });

  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  it('is refused (usage error) and leaves a current guest’s entry on the unit', async () => {
    const before = await client.unitIdEntries.listAll({ unitId: 7001 });
    expect(before.filter((row) => row.name === 'Guest LIVE-1')).toHaveLength(1);

    // An operator asks about next month but forgets --dry-run.
    const result = await runCli(['reconcile', '--now', '2037-02-01T00:00:00Z', '--unit', '7001'], {
      env: {
        ...(engine.env as Record<string, string>),
        FLEXYSYNC_CONFIG: writeConfigFile(engine.configInput),
      },
      timeoutMs: 30_000,
    });

    const after = await client.unitIdEntries.listAll({ unitId: 7001 });
    expect({ code: result.code, rows: after.filter((row) => row.name === 'Guest LIVE-1').length }).toEqual({
      code: 2,
      rows: 1,
    });
    expect(result.stderr).toContain('--now only plans: use it with --dry-run');
    // With --dry-run it plans as of then, and changes nothing.
    const dryRun = await runCli(
      ['reconcile', '--dry-run', '--now', '2037-02-01T00:00:00Z', '--unit', '7001'],
      {
        env: {
          ...(engine.env as Record<string, string>),
          FLEXYSYNC_CONFIG: writeConfigFile(engine.configInput),
        },
        timeoutMs: 30_000,
      },
    );
    expect(dryRun.code).toBe(3);
    expect(dryRun.stdout).toContain('pms/LIVE-1');
    expect((await client.unitIdEntries.listAll({ unitId: 7001 })).length).toBe(after.length);
  }, 60_000);
});
