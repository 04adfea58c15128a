import { SEED_UNITS, startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "ID entries": field rules, 409 on duplicate idNumber, PUT unitId must match, which changes
// mark a row changed, paging and partial-text search.

const UNIT = SEED_UNITS.wexp;
let sim: TestSimulator;

beforeEach(async () => {
  sim = await startTestSimulator({ statusCacheGuardMs: 0 });
});

const valid = (extra: Record<string, unknown> = {}) => ({
  unitId: UNIT,
  idNumber: '+46701110000',
  name: 'Guest',
  description: 'Booking 1',
  action: 'R1',
  codeTag: '482913',
  codeTagCalendar: null,
  validFromIso: '2026-04-22T14:00:00+02:00',
  validToIso: '2026-04-25T11:00:00+02:00',
  ...extra,
});

async function create(extra: Record<string, unknown> = {}) {
  const res = await sim.api('POST', 'UnitIdEntries', { body: valid(extra) });
  expect(res.status).toBe(201);
  return res.body;
}

describe('POST /UnitIdEntries field rules', () => {
  it.each([
    ['unitId', { unitId: undefined }],
    ['unitId', { unitId: '3024' }],
    ['idNumber', { idNumber: undefined }],
    ['idNumber', { idNumber: '' }],
    ['idNumber', { idNumber: '123456789012345678901' }],
    ['name', { name: 'n'.repeat(26) }],
    ['description', { description: 'd'.repeat(26) }],
    ['action', { action: undefined }],
    ['action', { action: 'R3' }],
    ['action', { action: 'G0' }],
    ['action', { action: 'G100' }],
    ['action', { action: 'r1' }],
    ['codeTag', { codeTag: '123' }],
    ['codeTag', { codeTag: '12345678' }],
    ['codeTag', { codeTag: '12a4' }],
    ['codeTag', { codeTag: 1234 }],
    ['codeTagCalendar', { codeTag: null, codeTagCalendar: 2 }],
    ['codeTagCalendar', { codeTagCalendar: -1 }],
    ['codeTagCalendar', { codeTagCalendar: 1.5 }],
    ['validFromIso', { validFromIso: '2026-04-22' }],
    ['validFromIso', { validFromIso: '2026-04-22T14:00:00' }],
    ['validFromIso', { validFromIso: '2026-02-30T14:00:00Z' }],
    ['validToIso', { validToIso: 'tomorrow' }],
    ['validToIso', { validFromIso: '2026-04-25T12:00:00Z', validToIso: '2026-04-25T11:59:59Z' }],
  ])('400 naming %s for %j', async (field, patch) => {
    const res = await sim.api('POST', 'UnitIdEntries', { body: valid(patch) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(Object.keys(res.body.errors)).toContain(field);
    expect(res.body.errors[field][0]).toEqual(expect.any(String));
  });

  it('accepts the edges: 20-char idNumber, 25-char name, 4- and 7-digit PINs, G1, G99, R2', async () => {
    await create({ idNumber: '12345678901234567890', name: 'n'.repeat(25), description: 'd'.repeat(25) });
    await create({ idNumber: 'a', codeTag: '0000', action: 'G1' });
    await create({ idNumber: 'b', codeTag: '9999999', action: 'G99', codeTagCalendar: 3 });
    await create({ idNumber: 'c', codeTag: null, action: 'R2', validFromIso: null, validToIso: null });
  });

  it('stores offsets as UTC instants and returns the working-assumption row', async () => {
    const row = await create();
    expect(row).toEqual({
      id: expect.any(Number),
      unitId: UNIT,
      idNumber: '+46701110000',
      name: 'Guest',
      description: 'Booking 1',
      action: 'R1',
      codeTag: '482913',
      codeTagCalendar: null,
      validFromIso: '2026-04-22T12:00:00Z',
      validToIso: '2026-04-25T09:00:00Z',
      syncState: 'Changed',
    });
  });

  it('absent optional fields become null', async () => {
    const res = await sim.api('POST', 'UnitIdEntries', {
      body: { unitId: UNIT, idNumber: 'min', action: 'G13' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: null, description: null, codeTag: null, validFromIso: null });
  });

  it('assigns increasing integer ids across units', async () => {
    const a = await create({ idNumber: 'one' });
    const other = await sim.api('POST', 'UnitIdEntries', {
      body: { unitId: SEED_UNITS.main, idNumber: 'two', action: 'R1' },
    });
    const b = await create({ idNumber: 'three' });
    expect(Number.isInteger(a.id)).toBe(true);
    expect(other.body.id).toBeGreaterThan(a.id);
    expect(b.id).toBeGreaterThan(other.body.id);
  });
});

describe('409 Conflict on duplicate idNumber', () => {
  it('on POST for the same unit, but not on another unit', async () => {
    await create();
    const dup = await sim.api('POST', 'UnitIdEntries', { body: valid({ name: 'Someone else' }) });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ status: 409, title: 'Conflict' });
    const elsewhere = await sim.api('POST', 'UnitIdEntries', { body: valid({ unitId: SEED_UNITS.main }) });
    expect(elsewhere.status).toBe(201);
  });

  it('on a PUT that changes idNumber to one in use', async () => {
    await create({ idNumber: 'taken' });
    const row = await create({ idNumber: 'mine' });
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, { body: valid({ idNumber: 'taken' }) });
    expect(res.status).toBe(409);
    const same = await sim.api('PUT', `UnitIdEntries/${row.id}`, { body: valid({ idNumber: 'mine' }) });
    expect(same.status).toBe(200);
  });

  it('against a PendingDelete row until a sync removes it', async () => {
    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 5 });
    const row = await create();
    await sim.api('DELETE', `UnitIdEntries/${row.id}?unitId=${UNIT}`);
    expect((await sim.api('POST', 'UnitIdEntries', { body: valid() })).status).toBe(409);
    await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: UNIT } });
    await waitForState('Completed');
    expect((await sim.api('POST', 'UnitIdEntries', { body: valid() })).status).toBe(201);
  });
});

async function waitForState(state: string): Promise<void> {
  await waitFor(async () => (await sim.api('GET', `UnitSync/Status?unitId=${UNIT}`)).body.state === state, {
    timeoutMs: 5_000,
    description: `sync ${state}`,
  });
}

describe('PUT /UnitIdEntries/{id}', () => {
  it('400 naming unitId when the body unitId differs from the row', async () => {
    const row = await create();
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, { body: valid({ unitId: SEED_UNITS.main }) });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty('unitId');
  });

  it('validates the body with the same field rules', async () => {
    const row = await create();
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, { body: valid({ codeTag: '12' }) });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty('codeTag');
  });

  it('is a full replacement: absent optional fields become null', async () => {
    const row = await create();
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, {
      body: { unitId: UNIT, idNumber: row.idNumber, action: 'R1' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: null,
      description: null,
      codeTag: null,
      validFromIso: null,
      validToIso: null,
    });
  });

  async function syncedRow() {
    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 1 });
    const row = await create();
    await sim.api('POST', 'UnitSync/PushChanges', { body: { unitId: UNIT } });
    await waitForState('Completed');
    const list = await sim.api(
      'GET',
      `UnitIdEntries?unitId=${UNIT}&search=${encodeURIComponent(row.idNumber)}`,
    );
    expect(list.body.items[0].syncState).toBe('Synced');
    return row;
  }

  it('name and description changes do not mark the row changed', async () => {
    const row = await syncedRow();
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, {
      body: valid({ name: 'Renamed', description: 'New text' }),
    });
    expect(res.body).toMatchObject({ name: 'Renamed', description: 'New text', syncState: 'Synced' });
  });

  it('the same instant written with another offset does not mark the row changed', async () => {
    const row = await syncedRow();
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, {
      body: valid({ validFromIso: '2026-04-22T12:00:00Z', validToIso: '2026-04-25T09:00:00.000Z' }),
    });
    expect(res.body.syncState).toBe('Synced');
  });

  it.each([
    ['idNumber', { idNumber: '+46701119999' }],
    ['action', { action: 'G13' }],
    ['codeTag', { codeTag: '111222' }],
    ['codeTagCalendar', { codeTagCalendar: 4 }],
    ['validFromIso', { validFromIso: '2026-04-22T15:00:00+02:00' }],
    ['validToIso', { validToIso: '2026-04-26T11:00:00+02:00' }],
  ])('a change of %s marks the row Changed', async (_field, patch) => {
    const row = await syncedRow();
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, { body: valid(patch) });
    expect(res.status).toBe(200);
    expect(res.body.syncState).toBe('Changed');
  });
});

describe('DELETE /UnitIdEntries/{id}', () => {
  it('marks the row PendingDelete, idempotently, keeping it listed', async () => {
    const row = await create();
    const first = await sim.api('DELETE', `UnitIdEntries/${row.id}?unitId=${UNIT}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: row.id, syncState: 'PendingDelete' });
    const again = await sim.api('DELETE', `UnitIdEntries/${row.id}?unitId=${UNIT}`);
    expect(again.status).toBe(200);
    expect(again.body.syncState).toBe('PendingDelete');
    const list = await sim.api(
      'GET',
      `UnitIdEntries?unitId=${UNIT}&search=${encodeURIComponent(row.idNumber)}`,
    );
    expect(list.body.items).toHaveLength(1);
  });

  it('requires unitId (query or body) and it must match the row', async () => {
    const row = await create();
    const missing = await sim.api('DELETE', `UnitIdEntries/${row.id}`);
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toHaveProperty('unitId');
    const wrong = await sim.api('DELETE', `UnitIdEntries/${row.id}?unitId=${SEED_UNITS.main}`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toHaveProperty('unitId');
    const viaBody = await sim.api('DELETE', `UnitIdEntries/${row.id}`, { body: { unitId: UNIT } });
    expect(viaBody.status).toBe(200);
  });

  it('a PUT revives a row pending deletion as Changed', async () => {
    const row = await create();
    await sim.api('DELETE', `UnitIdEntries/${row.id}?unitId=${UNIT}`);
    const res = await sim.api('PUT', `UnitIdEntries/${row.id}`, { body: valid() });
    expect(res.body.syncState).toBe('Changed');
  });
});

describe('GET /UnitIdEntries paging and search', () => {
  beforeEach(async () => {
    for (let i = 0; i < 25; i++) {
      await create({
        idNumber: `+4670200${String(i).padStart(4, '0')}`,
        name: i % 2 === 0 ? `Even Guest ${i}` : `Odd ${i}`,
        description: i === 7 ? 'Sauna key' : null,
        action: i === 3 ? 'G42' : 'R1',
      });
    }
  });

  it('pages with limit and offset, ordered by id, total over all pages', async () => {
    const seen: number[] = [];
    for (let offset = 0; offset < 40; offset += 10) {
      const res = await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&limit=10&offset=${offset}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 26, limit: 10, offset });
      seen.push(...res.body.items.map((r: { id: number }) => r.id));
    }
    expect(seen).toHaveLength(26); // 25 + the seed's hand-made entry
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(new Set(seen).size).toBe(26);
  });

  it('defaults to limit 100 and offset 0', async () => {
    const res = await sim.api('GET', `UnitIdEntries?unitId=${UNIT}`);
    expect(res.body).toMatchObject({ total: 26, limit: 100, offset: 0 });
    expect(res.body.items).toHaveLength(26);
  });

  it('searches case-insensitively over idNumber, name, description and action, across pages', async () => {
    const byName = await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&search=even%20guest&limit=5`);
    expect(byName.body.total).toBe(13);
    expect(byName.body.items).toHaveLength(5);
    const page3 = await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&search=EVEN&limit=5&offset=10`);
    expect(page3.body.items).toHaveLength(3);
    const byIdNumber = await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&search=0012`);
    expect(byIdNumber.body.items.map((r: { idNumber: string }) => r.idNumber)).toEqual(['+46702000012']);
    const byPrefix = await sim.api(
      'GET',
      `UnitIdEntries?unitId=${UNIT}&search=${encodeURIComponent('+4670200')}`,
    );
    expect(byPrefix.body.total).toBe(25);
    const byDescription = await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&search=sauna`);
    expect(byDescription.body.items.map((r: { name: string }) => r.name)).toEqual(['Odd 7']);
    const byAction = await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&search=g42`);
    expect(byAction.body.total).toBe(1);
  });

  it.each([
    ['limit', 'limit=1001'],
    ['limit', 'limit=0'],
    ['limit', 'limit=ten'],
    ['offset', 'offset=-1'],
    ['unitId', 'limit=10'],
  ])('400 naming %s for %s', async (field, qs) => {
    const path = field === 'unitId' ? `UnitIdEntries?${qs}` : `UnitIdEntries?unitId=${UNIT}&${qs}`;
    const res = await sim.api('GET', path);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });

  it('accepts limit 1000', async () => {
    expect((await sim.api('GET', `UnitIdEntries?unitId=${UNIT}&limit=1000`)).status).toBe(200);
  });
});
