import { loadSeedFile } from '../../src/simulator';
import { INTEGRATOR, OTHER_INTEGRATOR, SEED_UNITS, startTestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Fault injection, the request budget, HTTP robustness and the admin API of the simulator itself.

describe('fault injection', () => {
  it('adds latency to matching routes only', async () => {
    const sim = await startTestSimulator();
    await sim.admin('PUT', 'faults', [{ match: 'GET /v1/Units', latencyMs: 1_000 }]);
    const t0 = performance.now();
    expect((await sim.api('GET', 'Units')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
    expect(sim.simulator.faults()[0]?.fired).toBe(1);
    const t1 = performance.now();
    await sim.api('GET', `Units/${SEED_UNITS.main}`);
    // The rule did not apply; the bound, far from the injected second, leaves room for a busy machine.
    expect(sim.simulator.faults()[0]?.fired).toBe(1);
    expect(performance.now() - t1).toBeLessThan(750);
  });

  it('answers injected errors with a problem body and Retry-After, for `count` times only', async () => {
    const sim = await startTestSimulator();
    const put = await sim.admin('PUT', 'faults', {
      faults: [
        {
          match: 'POST /v1/UnitSync/PushChanges',
          errorRate: 1,
          errorStatus: 503,
          retryAfterSeconds: 7,
          count: 2,
        },
      ],
    });
    expect(put.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: SEED_UNITS.main } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    }
    const third = await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: SEED_UNITS.main } });
    expect(third.status).toBe(200);
    const faults = (await sim.admin('GET', 'faults')).body.faults;
    expect(faults[0]).toMatchObject({ fired: 2, remaining: 0 });
  });

  it.each([500, 502, 503])('injects status %i', async (errorStatus) => {
    const sim = await startTestSimulator();
    await sim.admin('PUT', 'faults', [{ errorRate: 1, errorStatus }]);
    const res = await sim.api('GET', 'Units');
    expect(res.status).toBe(errorStatus);
    expect(res.body.status).toBe(errorStatus);
  });

  it('429 carries Retry-After (1 s when not given)', async () => {
    const sim = await startTestSimulator();
    await sim.admin('PUT', 'faults', [{ errorRate: 1, errorStatus: 429 }]);
    const res = await sim.api('GET', 'Units');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('drops the connection without an answer', async () => {
    const sim = await startTestSimulator();
    await sim.admin('PUT', 'faults', [{ match: '/v1/Units*', dropRate: 1, count: 1 }]);
    await expect(sim.api('GET', 'Units')).rejects.toThrow();
    expect((await sim.api('GET', 'Units')).status).toBe(200);
    expect(sim.simulator.callCount('GET /v1/Units')).toBe(2);
  });

  it('uses the injected random source for partial rates', async () => {
    const draws = [0.2, 0.8, 0.2, 0.8];
    let i = 0;
    const sim = await startTestSimulator({ random: () => draws[i++ % draws.length] as number });
    await sim.admin('PUT', 'faults', [{ match: 'GET *', errorRate: 0.5, errorStatus: 500 }]);
    const statuses = [];
    for (let n = 0; n < 4; n++) statuses.push((await sim.api('GET', 'Units')).status);
    expect(statuses).toEqual([500, 200, 500, 200]);
  });

  it('a path-only pattern matches every method; the admin API is never faulted', async () => {
    const sim = await startTestSimulator();
    await sim.admin('PUT', 'faults', [
      { match: '/v1/Control', errorRate: 1, errorStatus: 502 },
      { errorRate: 0 },
    ]);
    expect((await sim.api('GET', `Control?unitId=${SEED_UNITS.main}`)).status).toBe(502);
    const post = await sim.api('POST', 'Control', {
      body: { unitId: SEED_UNITS.main, outputNumber: 'F1', outputAction: 'ON' },
    });
    expect(post.status).toBe(502);
    expect((await sim.api('GET', 'Units')).status).toBe(200);
    await sim.admin('PUT', 'faults', [{ errorRate: 1, latencyMs: 0, dropRate: 0 }]);
    expect((await sim.admin('GET', 'state')).status).toBe(200);
    expect((await sim.admin('DELETE', 'faults')).status).toBe(204);
    expect((await sim.api('GET', 'Units')).status).toBe(200);
  });

  it('rejects invalid fault rules naming the field', async () => {
    const sim = await startTestSimulator();
    const res = await sim.admin('PUT', 'faults', [{ errorRate: 2 }]);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors)).toEqual(['faults.0.errorRate']);
    const status = await sim.admin('PUT', 'faults', [{ errorRate: 1, errorStatus: 404 }]);
    expect(status.status).toBe(400);
  });
});

describe('API request budget', () => {
  it('429 + Retry-After once a user exceeds the budget; other users and the admin API unaffected', async () => {
    const sim = await startTestSimulator();
    const set = await sim.admin('PUT', 'budget', { maxRequests: 3, windowMs: 60_000 });
    expect(set.body).toMatchObject({ maxRequests: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect((await sim.api('GET', 'Units')).status).toBe(200);
    const over = await sim.api('GET', 'Units');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(over.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect((await sim.api('GET', 'Units', { user: OTHER_INTEGRATOR })).status).toBe(200);
    expect((await sim.admin('GET', 'state')).status).toBe(200);
    expect((await sim.admin('GET', 'budget')).body).toMatchObject({ rejected: 1 });
    expect((await sim.admin('DELETE', 'budget')).status).toBe(204);
    expect((await sim.api('GET', 'Units')).status).toBe(200);
  });

  it('the window resets', async () => {
    const sim = await startTestSimulator();
    await sim.admin('PUT', 'budget', { maxRequests: 1, windowMs: 200 });
    expect((await sim.api('GET', 'Units')).status).toBe(200);
    expect((await sim.api('GET', 'Units')).status).toBe(429);
    await waitFor(async () => (await sim.api('GET', 'Units')).status === 200, { timeoutMs: 2_000 });
  });

  it('unauthenticated requests get 401, not 429', async () => {
    const sim = await startTestSimulator();
    sim.simulator.setBudget({ maxRequests: 1, windowMs: 60_000 });
    await sim.api('GET', 'Units');
    expect((await sim.api('GET', 'Units', { user: null })).status).toBe(401);
  });
});

describe('HTTP robustness', () => {
  it('malformed JSON → 400 problem naming the body', async () => {
    const sim = await startTestSimulator();
    const res = await sim.api('POST', 'UnitIdEntries', { rawBody: '{"unitId": 3023,' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(res.body).toMatchObject({
      status: 400,
      title: 'Bad Request',
      errors: { body: expect.any(Array) },
    });
  });

  it('a JSON body that is not an object → 400', async () => {
    const sim = await startTestSimulator();
    for (const raw of ['[]', 'null', '"text"', '42']) {
      const res = await sim.api('POST', 'UnitSync/PushChanges', { rawBody: raw });
      expect(res.status).toBe(400);
    }
  });

  it('a missing body on POST → 400', async () => {
    const sim = await startTestSimulator();
    const res = await sim.api('POST', 'UnitSync/PushChanges');
    expect(res.status).toBe(400);
  });

  it('a non-JSON content type → 415 problem', async () => {
    const sim = await startTestSimulator();
    const res = await sim.api('POST', 'UnitIdEntries', {
      rawBody: 'unitId=3023',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(res.body.status).toBe(415);
  });

  it('a body over the limit → 413 problem', async () => {
    const sim = await startTestSimulator({ bodyLimitBytes: 1024 });
    const res = await sim.api('POST', 'UnitIdEntries', {
      body: { unitId: 3023, idNumber: 'x', action: 'R1', name: 'n'.repeat(2000) },
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ status: 413 });
  });

  it('unknown route → 404 problem; wrong method → 405 with Allow', async () => {
    const sim = await startTestSimulator();
    const missing = await sim.api('GET', 'NoSuchThing');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, title: 'Not Found' });
    const wrong = await sim.api('PATCH', 'UnitIdEntries/5', { body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('PUT, DELETE');
  });

  it('routes are case-insensitive like ASP.NET', async () => {
    const sim = await startTestSimulator();
    expect((await sim.api('GET', 'units')).status).toBe(200);
  });

  it('a repeated query parameter → 400 naming it', async () => {
    const sim = await startTestSimulator();
    const res = await sim.api('GET', 'UnitIdEntries?unitId=3023&unitId=3024');
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty('unitId');
  });

  it('close() stops the server', async () => {
    const sim = await startTestSimulator();
    await sim.close();
    await sim.close(); // idempotent
    await expect(fetch(`${sim.baseUrl}Units`)).rejects.toThrow();
  });
});

describe('admin API', () => {
  it('counts API calls per normalised route (not admin calls) and resets them', async () => {
    const sim = await startTestSimulator();
    const row = await sim.api('POST', 'UnitIdEntries', {
      body: { unitId: 3023, idNumber: 'c1', action: 'R1' },
    });
    await sim.api('PUT', `UnitIdEntries/${row.body.id}`, {
      body: { unitId: 3023, idNumber: 'c1', action: 'R2' },
    });
    await sim.api('PUT', 'UnitIdEntries/999999', { body: { unitId: 3023, idNumber: 'c1', action: 'R2' } });
    await sim.api('GET', 'Units', { user: null });
    const calls = (await sim.admin('GET', 'calls')).body;
    expect(calls.counts).toEqual({
      'POST /v1/UnitIdEntries': 1,
      'PUT /v1/UnitIdEntries/{id}': 2,
      'GET /v1/Units': 1,
    });
    expect(calls.total).toBe(4);
    expect((await sim.admin('DELETE', 'calls')).status).toBe(204);
    expect((await sim.admin('GET', 'calls')).body).toEqual({ total: 0, counts: {} });
  });

  it('GET state summarises units; PATCH validates', async () => {
    const sim = await startTestSimulator();
    const state = (await sim.admin('GET', 'state')).body;
    expect(state.units.map((u: { unitId: number }) => u.unitId)).toEqual([3023, 3024, 3025, 4001]);
    expect(state.units[0]).toMatchObject({
      rows: { total: 1, synced: 1 },
      deviceEntries: 1,
      syncState: 'None',
    });
    const bad = await sim.admin('PATCH', 'units/3023', { packetLatencyMs: -5 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toHaveProperty('packetLatencyMs');
    const badInput = await sim.admin('PATCH', 'units/3023', { inputs: { IX9: true } });
    expect(badInput.status).toBe(400);
    expect((await sim.admin('GET', 'units/1')).status).toBe(404);
  });

  it('POST seed replaces everything; an invalid seed is refused; reset returns to the startup seed', async () => {
    const sim = await startTestSimulator();
    await sim.api('POST', 'UnitIdEntries', {
      body: { unitId: 3023, idNumber: 'gone-after-seed', action: 'R1' },
    });
    const seed = {
      companies: [{ companyId: 1, name: 'Solo AB' }],
      users: [{ username: 'solo', password: 'solo-pass', companyId: 1 }],
      units: [{ unitId: 10, serialNumber: 'S10', name: 'Solo door', companyId: 1 }],
    };
    const loaded = await sim.admin('POST', 'seed', seed);
    expect(loaded.status).toBe(200);
    expect((await sim.api('GET', 'Units')).status).toBe(401);
    const solo = await sim.api('GET', 'Units', { user: { username: 'solo', password: 'solo-pass' } });
    expect(solo.body.map((u: { unitId: number }) => u.unitId)).toEqual([10]);

    const invalid = await sim.admin('POST', 'seed', {
      ...seed,
      users: [{ username: 'x', password: 'y', companyId: 99 }],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toHaveProperty(['users.0.companyId']);
    expect(
      (await sim.api('GET', 'Units', { user: { username: 'solo', password: 'solo-pass' } })).status,
    ).toBe(200);

    await sim.admin('POST', 'reset');
    const items = (await sim.api('GET', 'UnitIdEntries?unitId=3023', { user: INTEGRATOR })).body.items;
    expect(items.map((r: { idNumber: string }) => r.idNumber)).toEqual(['+46701234567']);
  });

  it('the shipped seed validates and has two companies', () => {
    const seed = loadSeedFile();
    expect(seed.companies).toHaveLength(2);
  });
});
