import { Job, Queue } from 'bullmq';
import { BOOKINGS_QUEUE } from '../../src/jobs';
import { type Engine, startEngine, testBooking } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

/**
 * A create whose answer is lost (a network cut, or the process dies before recording it) may have
 * landed. The entry is recorded before the call, without a row id, so a NEWER event of the booking that
 * runs before the old event's retry (which is then skipped as older) still finds and removes the row:
 * a cancelled guest's PIN must not keep opening the door, nor a moved guest's the old one.
 */
const ZONE = 'Europe/Stockholm';

const booking = testBooking;

describe('a newer event runs before the retry of an attempt whose create landed unanswered', () => {
  let engine: Engine | undefined;
  let queue: Queue | undefined;
  afterEach(async () => {
    await queue?.close();
    await engine?.close();
    engine = undefined;
    queue = undefined;
  });

  async function setUp() {
    engine = await startEngine({
      resources: {
        room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
        other: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R1' }] },
      },
      // The bookings job's transient retry waits a few seconds (production default: 5 s base).
      sync: { backoff: { baseMs: 4_000, maxMs: 4_000 } },
    });
    queue = new Queue(BOOKINGS_QUEUE, { connection: engine.redis, prefix: engine.prefix });
    // The first create lands on the server, but its answer is lost (a network cut, or a crash).
    engine.sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', dropRate: 1, dropPhase: 'after', count: 1 },
    ]);
    return engine;
  }

  const liveRows = (e: Engine, unitId: number, externalId: string) =>
    e.sim.simulator
      .unit(unitId)
      .rows.filter((row) => row.description?.endsWith(externalId) && row.syncState !== 'PendingDelete');

  async function waitSkippedOrDone(e: Engine, jobId: string) {
    const done = await waitFor(
      async () => {
        const job = await Job.fromId(queue as Queue, jobId);
        if (!job || !(await job.isCompleted())) return undefined;
        // Read again: the first read may predate the completion (no return value yet).
        return Job.fromId(queue as Queue, jobId);
      },
      { timeoutMs: 20_000, description: 'the first event’s retry finished' },
    );
    // Its retry was skipped: a later event of the booking had been applied meanwhile.
    expect(done.returnvalue).toMatchObject({ outcome: 'skipped' });
    // Let any sync asked for settle.
    await waitFor(async () => (await e.redis.hlen(`${e.prefix}:unit:{7001}:awaiting`)) === 0, {
      timeoutMs: 10_000,
      description: 'unit 7001 no longer awaiting',
    });
  }

  it('cancelled: no entry of the booking is left on the unit', async () => {
    const e = await setUp();
    const first = await e.enqueue([booking('LOSTCANCEL', 'room')]);
    // The create reached the server; the event now waits for its retry (seconds away).
    await waitFor(() => liveRows(e, 7001, 'LOSTCANCEL').length === 1, {
      description: 'the unrecorded create landed',
    });
    await e.enqueue([booking('LOSTCANCEL', 'room', { status: 'cancelled' })]);
    await e.waitForState('pms/LOSTCANCEL', 'revoked');
    await waitSkippedOrDone(e, String(first.accepted[0]?.jobId));

    // The booking is cancelled and announced revoked: its PIN must not open the door.
    const leftOver = liveRows(e, 7001, 'LOSTCANCEL');
    // The door (device memory) holds the cancelled booking's entry:
    expect(e.device(7001).filter((d) => leftOver.some((row) => row.id === d.id))).toEqual([]);
    expect(leftOver).toEqual([]);
  }, 60_000);

  it('moved to another resource: no entry of the booking is left on the old unit', async () => {
    const e = await setUp();
    const first = await e.enqueue([booking('LOSTMOVE', 'room')]);
    await waitFor(() => liveRows(e, 7001, 'LOSTMOVE').length === 1, {
      description: 'the unrecorded create landed',
    });
    await e.enqueue([booking('LOSTMOVE', 'other')]);
    await e.waitForState('pms/LOSTMOVE', 'synced');
    await waitSkippedOrDone(e, String(first.accepted[0]?.jobId));

    expect(liveRows(e, 7002, 'LOSTMOVE')).toHaveLength(1);
    // The booking is no longer on resource `room`: unit 7001 must not keep its entry.
    const leftOver = liveRows(e, 7001, 'LOSTMOVE');
    expect(e.device(7001).filter((d) => leftOver.some((row) => row.id === d.id))).toEqual([]);
    expect(leftOver).toEqual([]);
  }, 60_000);

  it('cancelled after its FlexyKey booking’s create went unanswered: no FlexyKey booking is left', async () => {
    engine = await startEngine({
      resources: {
        flat: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }], bookingObjectId: 801 },
      },
      sync: { backoff: { baseMs: 4_000, maxMs: 4_000 } },
    });
    queue = new Queue(BOOKINGS_QUEUE, { connection: engine.redis, prefix: engine.prefix });
    const e = engine;
    e.sim.simulator.setFaults([{ match: 'POST /v1/Bookings', dropRate: 1, dropPhase: 'after', count: 1 }]);
    const flexyBookings = () => [...(e.sim.simulator.world.bookingObjects.get(801)?.bookings.values() ?? [])];

    const first = await e.enqueue([booking('LOSTFLEXY', 'flat')]);
    await waitFor(() => flexyBookings().length === 1, { description: 'the unanswered create landed' });
    await e.enqueue([booking('LOSTFLEXY', 'flat', { status: 'cancelled' })]);
    await e.waitForState('pms/LOSTFLEXY', 'revoked');
    await waitSkippedOrDone(e, String(first.accepted[0]?.jobId));

    expect(flexyBookings()).toEqual([]);
    expect(liveRows(e, 7001, 'LOSTFLEXY')).toEqual([]);
  }, 60_000);
});
