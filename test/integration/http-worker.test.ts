import { type Engine, startEngine } from '../helpers/engine';

const TOKEN = 'test-intake-token-0123456789';

describe('the worker with its HTTP server enabled', () => {
  let engine: Engine;
  beforeAll(() => {
    process.env.FLEXYSYNC_INTAKE_TOKEN = TOKEN;
  });
  afterAll(() => {
    delete process.env.FLEXYSYNC_INTAKE_TOKEN;
  });
  afterEach(async () => {
    await engine.close();
  });

  it('a booking POSTed to the intake reaches the unit; /readyz reports ready, then 503 while stopping', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: 'Europe/Stockholm', units: [{ unitId: 7001, action: 'R1' }] } },
      config: { http: { enabled: true, port: 0 } },
    });
    const url = engine.worker?.httpUrl;
    if (!url) throw new Error('http server not started');
    const response = await fetch(`${url}/v1/bookings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        source: 'web',
        externalId: 'H-1',
        resource: 'room',
        start: '2037-06-01',
        end: '2037-06-03',
        status: 'confirmed',
      }),
    });
    expect(response.status).toBe(202);
    const synced = await engine.waitForState('web/H-1', 'synced');
    expect(engine.device(7001)[0]?.codeTag).toBe(synced.pin);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // The worker's metrics saw the intake job, the FlexyKey calls, the sync and the outcome.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/flexysync_jobs_total\{[^}]*queue="bookings"[^}]*\} 1/);
    expect(metrics).toMatch(/flexysync_unit_syncs_total\{result="completed"\} [1-9]/);
    expect(metrics).toMatch(/flexysync_unit_pushes_total\{unit_id="7001"\} [1-9]/);
    expect(metrics).toMatch(
      /flexysync_flexykey_request_duration_seconds_count\{method="POST",route="\/UnitIdEntries"/,
    );
    expect(metrics).toMatch(/flexysync_booking_received_to_synced_seconds_count [1-9]/);
    expect(metrics).not.toContain(synced.pin as string);

    const closing = engine.worker?.close();
    const during = await fetch(`${url}/readyz`).catch(() => undefined);
    if (during) expect(during.status).toBe(503);
    await closing;
  });
});
