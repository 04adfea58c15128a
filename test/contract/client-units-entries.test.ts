import {
  FlexyKeyAuthError,
  FlexyKeyConflictError,
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  FlexyKeyRequestValidationError,
  FlexyKeyValidationError,
  type UnitIdEntry,
} from '../../src/flexykey';
import {
  CALL,
  type Contract,
  createEntries,
  entryInput,
  failureOf,
  heldFields,
  pushAndComplete,
  startContract,
} from '../helpers/contract';
import { INTEGRATOR, SEED_SERIALS, SEED_UNITS } from '../helpers/simulator';

// The real client against the real simulator: Units and UnitIdEntries, with the guide's rules
// ("Important field rules", company scoping, 409 on duplicate idNumber, paging and search, which
// changes mark a row for sync) and the notes' working assumptions for shapes.

const UNIT = SEED_UNITS.main;
const HAND_MADE = '+46701234567';

let c: Contract;

beforeEach(async () => {
  c = await startContract();
});

describe('units', () => {
  it('lists only the units of the user’s company, with the IO model', async () => {
    const units = await c.client.units.list();
    expect(units.map((u) => u.unitId).sort()).toEqual([SEED_UNITS.main, SEED_UNITS.wexp, SEED_UNITS.offline]);
    const main = units.find((u) => u.unitId === UNIT);
    expect(main).toMatchObject({ serialNumber: SEED_SERIALS.main, online: true, expansions: [] });
    expect(main?.relays.map((io) => io.globalNumber)).toEqual(['F1', 'F2']);
    expect(units.find((u) => u.unitId === SEED_UNITS.offline)?.online).toBe(false);

    const others = await c.other.units.list();
    expect(others.map((u) => u.unitId)).toEqual([SEED_UNITS.otherCompany]);
  });

  it('gets one unit with the same structure, expansions included', async () => {
    const wexp = await c.client.units.get(SEED_UNITS.wexp);
    expect(wexp.unitId).toBe(SEED_UNITS.wexp);
    expect(wexp.expansions).toHaveLength(1);
    expect(wexp.expansions[0]?.type).toBe('WEXP');
    expect(wexp.expansions[0]?.relays.map((io) => io.globalNumber)).toEqual([
      'X1',
      'X2',
      'X3',
      'X4',
      'X5',
      'X6',
      'X7',
      'X8',
    ]);
    expect(wexp.expansions[0]?.inputs[0]).toMatchObject({ localNumber: 1, globalNumber: 'IX1' });
    const listed = (await c.client.units.list()).find((u) => u.unitId === SEED_UNITS.wexp);
    expect({ ...wexp, lastSeenIso: null }).toEqual({ ...listed, lastSeenIso: null });
  });

  it("another company's unit → FlexyKeyForbiddenError; an unknown unit → FlexyKeyNotFoundError; neither retried", async () => {
    const forbidden = await failureOf(c.client.units.get(SEED_UNITS.otherCompany));
    expect(forbidden).toBeInstanceOf(FlexyKeyForbiddenError);
    expect(forbidden).toMatchObject({ code: 'forbidden', statusCode: 403, retryable: false });
    const missing = await failureOf(c.client.units.get(999_999));
    expect(missing).toBeInstanceOf(FlexyKeyNotFoundError);
    expect(missing).toMatchObject({ code: 'not_found', statusCode: 404, retryable: false });
    expect(c.calls(CALL.getUnit)).toBe(2);
  });

  it('a wrong password → FlexyKeyAuthError, sent exactly once (401 is never retried)', async () => {
    const intruder = c.newClient({ username: INTEGRATOR.username, password: 'wrong-password' });
    const error = await failureOf(intruder.units.list());
    expect(error).toBeInstanceOf(FlexyKeyAuthError);
    expect(error).toMatchObject({ code: 'unauthorized', statusCode: 401, retryable: false });
    expect(error.message).not.toContain('wrong-password');
    expect(c.calls(CALL.listUnits)).toBe(1);
  });
});

describe('ID entries: create, read, update, delete', () => {
  it('creates a row (201, state Changed) that the list returns, with times as instants', async () => {
    const input = entryInput(UNIT, 1, { codeTagCalendar: 3 });
    const created = await c.client.unitIdEntries.create(input);
    expect(created).toMatchObject({
      unitId: UNIT,
      idNumber: input.idNumber,
      name: input.name,
      description: input.description,
      action: 'R1',
      codeTag: input.codeTag,
      codeTagCalendar: 3,
      syncState: 'Changed',
    });
    expect(created.id).toEqual(expect.any(Number));
    // The offset form was accepted and means the same instant.
    expect(Date.parse(created.validFromIso ?? '')).toBe(Date.parse(input.validFromIso as string));
    expect(Date.parse(created.validToIso ?? '')).toBe(Date.parse(input.validToIso as string));

    const page = await c.client.unitIdEntries.list({ unitId: UNIT });
    expect(page.total).toBe(2);
    expect(page.items.map((r) => r.idNumber)).toEqual([HAND_MADE, input.idNumber]);
    expect(page.items[1]).toEqual(created);
    // Nothing reaches the unit before PushChanges.
    expect(c.device(UNIT).map((e) => e.idNumber)).toEqual([HAND_MADE]);
  });

  it('a phone-only entry (no PIN, no validity window) is accepted, synced, and opens by phone call', async () => {
    const phone = await c.client.unitIdEntries.create({
      unitId: UNIT,
      idNumber: '+46701112233',
      action: 'R2',
    });
    expect(phone).toMatchObject({
      codeTag: null,
      codeTagCalendar: null,
      validFromIso: null,
      validToIso: null,
    });
    expect(c.sim.simulator.simulateAccess(UNIT, { phone: '+46701112233' }).granted).toBe(false);
    await pushAndComplete(c.client, UNIT);
    expect(c.sim.simulator.simulateAccess(UNIT, { phone: '+46701112233' })).toMatchObject({
      granted: true,
      action: 'R2',
    });
  });

  it('a duplicate idNumber on the same unit → FlexyKeyConflictError (409), not retried; other units are separate', async () => {
    await c.client.unitIdEntries.create(entryInput(UNIT, 1));
    const error = await failureOf(c.client.unitIdEntries.create(entryInput(UNIT, 1, { codeTag: '998877' })));
    expect(error).toBeInstanceOf(FlexyKeyConflictError);
    expect(error).toMatchObject({ code: 'conflict', statusCode: 409, retryable: false });
    expect(c.calls(CALL.createEntry)).toBe(2);
    // The hand-made entry's idNumber clashes too.
    const clash = await failureOf(
      c.client.unitIdEntries.create(entryInput(UNIT, 2, { idNumber: HAND_MADE })),
    );
    expect(clash).toBeInstanceOf(FlexyKeyConflictError);
    // The same idNumber on another unit is fine.
    const elsewhere = await c.client.unitIdEntries.create(entryInput(SEED_UNITS.wexp, 1));
    expect(elsewhere.unitId).toBe(SEED_UNITS.wexp);
    expect((await c.client.unitIdEntries.list({ unitId: UNIT })).total).toBe(2);
  });

  it.each([
    ['idNumber longer than 20', { idNumber: 'X'.repeat(21) }, 'idNumber'],
    ['empty idNumber', { idNumber: '' }, 'idNumber'],
    ['name longer than 25', { name: 'N'.repeat(26) }, 'name'],
    ['description longer than 25', { description: 'D'.repeat(26) }, 'description'],
    ['unknown action R3', { action: 'R3' }, 'action'],
    ['codeTag of 3 digits', { codeTag: '123' }, 'codeTag'],
    ['codeTag of 8 digits', { codeTag: '12345678' }, 'codeTag'],
    ['codeTag with a letter', { codeTag: '12a45' }, 'codeTag'],
    ['codeTagCalendar without codeTag', { codeTag: null, codeTagCalendar: 2 }, 'codeTagCalendar'],
    ['validFromIso without a zone', { validFromIso: '2026-04-22T14:00:00' }, 'validFromIso'],
    ['validToIso before validFromIso', { validToIso: '2026-04-21T14:00:00Z' }, 'validToIso'],
  ])('client-side validation rejects %s before anything is sent', async (_label, extra, field) => {
    const before = c.totalCalls();
    const error = await failureOf(c.client.unitIdEntries.create(entryInput(UNIT, 1, extra)));
    expect(error).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect((error as FlexyKeyRequestValidationError).issues.map((i) => i.field)).toContain(field);
    // The same broken body through update is refused the same way.
    const viaUpdate = await failureOf(c.client.unitIdEntries.update(1, entryInput(UNIT, 1, extra)));
    expect(viaUpdate).toBeInstanceOf(FlexyKeyRequestValidationError);
    expect(c.totalCalls()).toBe(before);
    expect(c.unit(UNIT).rows).toHaveLength(1);
  });

  it('a PIN never appears in a validation error', async () => {
    const error = await failureOf(
      c.client.unitIdEntries.create(entryInput(UNIT, 1, { codeTag: '98765432' })),
    );
    expect(error.message).not.toContain('98765432');
  });

  it("PUT with another unitId than the row's → FlexyKeyValidationError naming unitId; the row is unchanged", async () => {
    const row = await c.client.unitIdEntries.create(entryInput(UNIT, 1));
    const error = await failureOf(
      c.client.unitIdEntries.update(row.id, entryInput(SEED_UNITS.wexp, 1, { codeTag: '424242' })),
    );
    expect(error).toBeInstanceOf(FlexyKeyValidationError);
    expect(error).toMatchObject({ statusCode: 400, retryable: false });
    expect(Object.keys((error as FlexyKeyValidationError).fieldErrors)).toContain('unitId');
    expect(c.calls(CALL.updateEntry)).toBe(1);
    expect(c.unit(UNIT).rows.find((r) => r.id === row.id)?.codeTag).toBe(row.codeTag);
  });

  it("another company's row or unit → FlexyKeyForbiddenError for every operation; an unknown row → NotFound", async () => {
    const row = await c.client.unitIdEntries.create(entryInput(UNIT, 1));
    const theirs = c.other;
    expect(await failureOf(theirs.unitIdEntries.list({ unitId: UNIT }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(await failureOf(theirs.unitIdEntries.create(entryInput(UNIT, 2)))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(await failureOf(theirs.unitIdEntries.update(row.id, entryInput(UNIT, 1)))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(await failureOf(theirs.unitIdEntries.delete({ id: row.id, unitId: UNIT }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(await failureOf(c.client.unitIdEntries.list({ unitId: 999_999 }))).toBeInstanceOf(
      FlexyKeyNotFoundError,
    );
    expect(await failureOf(c.client.unitIdEntries.update(999_999, entryInput(UNIT, 1)))).toBeInstanceOf(
      FlexyKeyNotFoundError,
    );
    expect(c.unit(UNIT).rows.find((r) => r.id === row.id)?.syncState).toBe('Changed');
    expect(c.unit(UNIT).rows).toHaveLength(2);
  });
});

describe('which changes mark a synced row for sync', () => {
  let row: UnitIdEntry;

  beforeEach(async () => {
    row = await c.client.unitIdEntries.create(entryInput(UNIT, 1, { codeTagCalendar: 1 }));
    await pushAndComplete(c.client, UNIT);
    const synced = (await c.client.unitIdEntries.list({ unitId: UNIT })).items.find((r) => r.id === row.id);
    expect(synced?.syncState).toBe('Synced');
  });

  const base = () => entryInput(UNIT, 1, { codeTagCalendar: 1 });

  it.each([
    ['idNumber', { idNumber: 'FS-RENAMED' }],
    ['action', { action: 'G13' }],
    ['codeTag', { codeTag: '246813' }],
    ['codeTagCalendar', { codeTagCalendar: 2 }],
    ['validFromIso', { validFromIso: '2026-04-22T15:00:00+02:00' }],
    ['validToIso', { validToIso: '2026-04-26T11:00:00+02:00' }],
  ])('changing %s → Changed, and the next sync delivers it', async (_field, change) => {
    const updated = await c.client.unitIdEntries.update(row.id, { ...base(), ...change });
    expect(updated.syncState).toBe('Changed');
    expect(c.device(UNIT).find((e) => e.id === row.id)).toEqual(heldFields(row));
    await pushAndComplete(c.client, UNIT);
    const after = (await c.client.unitIdEntries.list({ unitId: UNIT })).items.find((r) => r.id === row.id);
    expect(after?.syncState).toBe('Synced');
    expect(c.device(UNIT).find((e) => e.id === row.id)).toEqual(heldFields(after as UnitIdEntry));
  });

  it('the same instant in another offset is not a change', async () => {
    const updated = await c.client.unitIdEntries.update(row.id, {
      ...base(),
      validFromIso: '2026-04-22T12:00:00Z',
    });
    expect(updated.syncState).toBe('Synced');
  });

  it.each([
    ['name', { name: 'Another guest' }],
    ['description', { description: 'Moved booking' }],
    ['name and description', { name: null, description: null }],
  ])('changing only %s keeps Synced (not sent to the unit); PushChanges → NoChanges', async (_f, change) => {
    const updated = await c.client.unitIdEntries.update(row.id, { ...base(), ...change });
    expect(updated.syncState).toBe('Synced');
    expect(updated.name).toBe('name' in change ? change.name : base().name);
    const pushed = await c.client.unitSync.pushChanges({ unitId: UNIT });
    expect(pushed.status).toBe('NoChanges');
  });
});

describe('delete', () => {
  it('marks the row PendingDelete (still listed, still on the unit) until the next sync removes it', async () => {
    const [keep, drop] = await createEntries(c.client, UNIT, 2);
    await pushAndComplete(c.client, UNIT);
    const deleted = await c.client.unitIdEntries.delete({ id: drop?.id as number, unitId: UNIT });
    expect(deleted).toMatchObject({ id: drop?.id, syncState: 'PendingDelete' });
    const listed = (await c.client.unitIdEntries.listAll({ unitId: UNIT })).map((r) => [r.id, r.syncState]);
    expect(listed).toContainEqual([drop?.id, 'PendingDelete']);
    expect(c.device(UNIT).map((e) => e.id)).toContain(drop?.id);

    await pushAndComplete(c.client, UNIT);
    const rows = await c.client.unitIdEntries.listAll({ unitId: UNIT });
    expect(rows.map((r) => r.id)).not.toContain(drop?.id);
    expect(rows.map((r) => r.id)).toContain(keep?.id);
    expect(c.device(UNIT).map((e) => e.id)).not.toContain(drop?.id);
  });

  it('the unitId of a DELETE must match the row', async () => {
    const [row] = await createEntries(c.client, UNIT, 1);
    const error = await failureOf(
      c.client.unitIdEntries.delete({ id: row?.id as number, unitId: SEED_UNITS.wexp }),
    );
    expect(error).toBeInstanceOf(FlexyKeyValidationError);
    expect(Object.keys((error as FlexyKeyValidationError).fieldErrors)).toContain('unitId');
    expect(c.unit(UNIT).rows.find((r) => r.id === row?.id)?.syncState).toBe('Changed');
  });
});

describe('paging and search', () => {
  const BIG = SEED_UNITS.wexp;

  it('iterate / listAll walk 250 rows in pages of 100 (3 requests), in id order, none twice', async () => {
    const created = await createEntries(c.client, BIG, 250);
    const before = c.calls(CALL.listEntries);
    const all = await c.client.unitIdEntries.listAll({ unitId: BIG, pageSize: 100 });
    expect(c.calls(CALL.listEntries) - before).toBe(3);
    // The hand-made seed row comes first, then ours.
    expect(all).toHaveLength(251);
    expect(all.slice(1).map((r) => r.id)).toEqual(created.map((r) => r.id));
    expect(new Set(all.map((r) => r.id)).size).toBe(251);

    const seen: number[] = [];
    for await (const row of c.client.unitIdEntries.iterate({ unitId: BIG, pageSize: 100 })) seen.push(row.id);
    expect(seen).toEqual(all.map((r) => r.id));

    const page2 = await c.client.unitIdEntries.list({ unitId: BIG, limit: 100, offset: 100 });
    expect(page2).toMatchObject({ total: 251, limit: 100, offset: 100 });
    expect(page2.items.map((r) => r.id)).toEqual(all.slice(100, 200).map((r) => r.id));
    const last = await c.client.unitIdEntries.list({ unitId: BIG, limit: 100, offset: 200 });
    expect(last.items).toHaveLength(51);
  });

  it('a page size that divides the total exactly still stops (no empty extra request when total is known)', async () => {
    await createEntries(c.client, BIG, 9);
    const before = c.calls(CALL.listEntries);
    expect(await c.client.unitIdEntries.listAll({ unitId: BIG, pageSize: 5 })).toHaveLength(10);
    expect(c.calls(CALL.listEntries) - before).toBe(2);
  });

  it('search matches partial text over idNumber, name, description and action, and pages too', async () => {
    await createEntries(c.client, BIG, 30);
    await c.client.unitIdEntries.create(
      entryInput(BIG, 900, {
        idNumber: '+46705550000',
        name: 'Astrid Lindgren',
        description: 'Sauna',
        action: 'G42',
      }),
    );
    const byId = await c.client.unitIdEntries.list({ unitId: BIG, search: 'FS-0001' });
    expect(byId.items.map((r) => r.idNumber)).toEqual(Array.from({ length: 10 }, (_, i) => `FS-0001${i}`));
    expect(
      (await c.client.unitIdEntries.list({ unitId: BIG, search: 'lindgren' })).items.map((r) => r.idNumber),
    ).toEqual(['+46705550000']);
    // A phone number with its "+" survives the query string.
    expect(
      (await c.client.unitIdEntries.list({ unitId: BIG, search: '+467055' })).items.map((r) => r.name),
    ).toEqual(['Astrid Lindgren']);
    expect((await c.client.unitIdEntries.list({ unitId: BIG, search: 'saun' })).total).toBe(1);
    expect((await c.client.unitIdEntries.list({ unitId: BIG, search: 'G42' })).total).toBe(1);
    // The seed row's action is G13.
    expect(
      (await c.client.unitIdEntries.list({ unitId: BIG, search: 'G13' })).items.map((r) => r.idNumber),
    ).toEqual(['TAG-0001']);
    const guests = await c.client.unitIdEntries.listAll({ unitId: BIG, search: 'Guest 2', pageSize: 4 });
    // "Guest 2" and "Guest 20".."Guest 29".
    expect(guests.map((r) => r.name).sort()).toEqual(
      ['Guest 2', ...Array.from({ length: 10 }, (_, i) => `Guest 2${i}`)].sort(),
    );
    expect((await c.client.unitIdEntries.list({ unitId: BIG, search: 'nobody-has-this' })).items).toEqual([]);
  });
});
