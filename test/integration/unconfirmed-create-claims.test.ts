import { Job, Queue } from 'bullmq';
import { BOOKINGS_QUEUE } from '../../src/jobs';
import { type Engine, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

/**
 * An entry recorded before its create (no row id) whose answer was lost, then a newer event of the
 * booking with another PIN (pin.source booking) and the same idNumber: the create adopts the row (409)
 * and updates it to the new PIN, and the old PIN's claim on the unit must be freed for other bookings.
 */
const ZONE = 'Europe/Stockholm';

function booking(pin: string, overrides: Record<string, unknown> = {}) {
  return {
    source: 'pms',
    externalId: 'LOSTPIN',
    resource: 'room',
    start: '2037-02-01T15:00:00+01:00',
    end: '2037-02-03T11:00:00+01:00',
    status: 'confirmed',
    guest: { name: 'Guest LOSTPIN', phone: '+46701234567' },
    pin,
    ...overrides,
  };
}

describe('an unconfirmed entry planned again with another PIN', () => {
  let engine: Engine | undefined;
  let queue: Queue | undefined;
  afterEach(async () => {
    await queue?.close();
    await engine?.close();
  });

  it('releases the old PIN claim once the row carries the new PIN', async () => {
    engine = await startEngine({
      resources: {
        room: {
          timeZone: ZONE,
          units: [{ unitId: 7001, action: 'R1' }],
          pin: { source: 'booking', length: 6 },
        },
      },
      sync: { backoff: { baseMs: 4_000, maxMs: 4_000 } },
    });
    const e = engine;
    queue = new Queue(BOOKINGS_QUEUE, { connection: e.redis, prefix: e.prefix });
    e.sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', dropRate: 1, dropPhase: 'after', count: 1 },
    ]);
    const liveRows = () =>
      e.sim.simulator
        .unit(7001)
        .rows.filter((row) => row.description?.endsWith('LOSTPIN') && row.syncState !== 'PendingDelete');

    const first = await e.enqueue([booking('482913')]);
    await waitFor(() => liveRows().length === 1, { description: 'the unanswered create landed' });
    await e.enqueue([booking('739264')]);
    await e.waitForState('pms/LOSTPIN', 'synced');
    await waitFor(
      async () => {
        const job = await Job.fromId(queue as Queue, String(first.accepted[0]?.jobId));
        return job && (await job.isCompleted()) ? true : undefined;
      },
      { timeoutMs: 20_000, description: 'the first event’s retry finished (skipped)' },
    );

    expect(liveRows().map((row) => row.codeTag)).toEqual(['739264']);
    const claims = await e.redis.hgetall(`${e.prefix}:unit:{7001}:claims`);
    // The row and the record hold 739264 only; 482913 must be free again for other bookings on the unit.
    expect(claims['code:739264']).toBe('pms/LOSTPIN');
    expect(claims['code:482913']).toBeUndefined();
  }, 60_000);
});
