import {
  createFlexyKeyClient,
  type FlexyKeyClient,
  FlexyKeyRequestValidationError,
} from '../../../src/flexykey';

/** Any attempt to send fails the test loudly: validation must happen before the transport. */
let sent: string[];
let client: FlexyKeyClient;

beforeEach(() => {
  sent = [];
  client = createFlexyKeyClient({
    baseUrl: 'http://127.0.0.1:9/v1/',
    username: 'api-user',
    password: 'pw',
    retry: { maxAttempts: 1 },
    hooks: {
      beforeRequest: async ({ route }) => {
        sent.push(route);
        throw new Error(`request was sent: ${route}`);
      },
    },
  });
});

afterEach(async () => {
  await client.close();
});

async function rejection(call: () => Promise<unknown>): Promise<FlexyKeyRequestValidationError> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(FlexyKeyRequestValidationError);
    return error as FlexyKeyRequestValidationError;
  }
  throw new Error('expected a FlexyKeyRequestValidationError');
}

async function expectInvalid(call: () => Promise<unknown>, field: string, rule: RegExp): Promise<void> {
  const error = await rejection(call);
  expect(error.code).toBe('invalid_request');
  expect(error.retryable).toBe(false);
  expect(error.field).toBe(field);
  expect(error.rule).toMatch(rule);
  expect(error.message).toContain(field);
  expect(sent).toEqual([]);
}

const entry = {
  unitId: 3023,
  idNumber: '+46701234567',
  name: 'Anna',
  action: 'R1' as const,
  codeTag: '482913',
  validFromIso: '2026-04-22T14:00:00+02:00',
  validToIso: '2026-04-25T10:00:00Z',
};

describe('ID entries', () => {
  const create = (overrides: Record<string, unknown>) => () =>
    client.unitIdEntries.create({ ...entry, ...overrides } as never);

  it.each([0, -1, 1.5, '3023', undefined])('unitId %p must be a positive integer', async (unitId) => {
    await expectInvalid(create({ unitId }), 'unitId', unitId === undefined ? /required/ : /positive integer/);
  });

  it('idNumber must be 1–20 characters', async () => {
    await expectInvalid(create({ idNumber: '' }), 'idNumber', /1–20/);
    await expectInvalid(create({ idNumber: 'x'.repeat(21) }), 'idNumber', /1–20/);
    await expectInvalid(create({ idNumber: undefined }), 'idNumber', /required/);
  });

  it('accepts idNumber of exactly 20 and name/description of exactly 25 characters', async () => {
    // Valid input reaches the transport (the hook records it and throws).
    await expect(
      client.unitIdEntries.create({
        ...entry,
        idNumber: 'x'.repeat(20),
        name: 'n'.repeat(25),
        description: 'd'.repeat(25),
      }),
    ).rejects.toThrow('request was sent: POST /UnitIdEntries');
  });

  it('name and description are at most 25 characters', async () => {
    await expectInvalid(create({ name: 'n'.repeat(26) }), 'name', /at most 25/);
    await expectInvalid(create({ description: 'd'.repeat(26) }), 'description', /at most 25/);
  });

  it.each(['R3', 'r1', 'G0', 'G100', 'G', 'G013', 'X1', ''])('action %p is refused', async (action) => {
    await expectInvalid(create({ action }), 'action', /R1, R2 or an access group G1–G99/);
  });

  it.each(['R1', 'R2', 'G1', 'G13', 'G99'])('action %p is accepted', async (action) => {
    await expect(client.unitIdEntries.create({ ...entry, action: action as 'R1' })).rejects.toThrow(
      'request was sent',
    );
  });

  it.each(['123', '12345678', '12a4', ' 1234', 1234])('codeTag %p must be 4–7 digits', async (codeTag) => {
    await expectInvalid(create({ codeTag }), 'codeTag', /4–7 digits/);
  });

  it('never echoes the PIN in the error', async () => {
    const error = await rejection(create({ codeTag: '99999999' }));
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('99999999');
  });

  it('codeTagCalendar only together with a codeTag', async () => {
    await expectInvalid(
      create({ codeTag: undefined, codeTagCalendar: 2 }),
      'codeTagCalendar',
      /together with a codeTag/,
    );
    await expectInvalid(
      create({ codeTag: null, codeTagCalendar: 2 }),
      'codeTagCalendar',
      /together with a codeTag/,
    );
    await expect(client.unitIdEntries.create({ ...entry, codeTagCalendar: 2 })).rejects.toThrow(
      'request was sent',
    );
  });

  it('codeTagCalendar with an invalid codeTag names the codeTag', async () => {
    await expectInvalid(create({ codeTag: '12', codeTagCalendar: 2 }), 'codeTag', /4–7 digits/);
  });

  it.each([
    '2026-04-22T14:00:00',
    '2026-04-22',
    '22/04/2026 14:00',
    '2026-04-22T14:00:00+0200',
    '2026-02-30T10:00:00Z',
  ])('validFromIso %p must be ISO 8601 with Z or offset', async (validFromIso) => {
    await expectInvalid(create({ validFromIso }), 'validFromIso', /ISO 8601/);
  });

  it('validToIso is checked the same way', async () => {
    await expectInvalid(create({ validToIso: 'tomorrow' }), 'validToIso', /ISO 8601/);
  });

  it('validToIso must not be before validFromIso (offsets compared as instants)', async () => {
    // 12:01+02:00 is 10:01Z: one minute after the end.
    await expectInvalid(
      create({ validFromIso: '2026-04-25T12:01:00+02:00', validToIso: '2026-04-25T10:00:00Z' }),
      'validToIso',
      /must not be before validFromIso/,
    );
    // 12:00+02:00 is exactly 10:00Z: allowed.
    await expect(
      client.unitIdEntries.create({
        ...entry,
        validFromIso: '2026-04-25T12:00:00+02:00',
        validToIso: '2026-04-25T10:00:00Z',
      }),
    ).rejects.toThrow('request was sent');
  });

  it('codeTagCalendar must be an integer ≥ 0', async () => {
    await expectInvalid(create({ codeTagCalendar: -1 }), 'codeTagCalendar', /integer calendar number/);
    await expectInvalid(create({ codeTagCalendar: '2' }), 'codeTagCalendar', /integer calendar number/);
    await expect(client.unitIdEntries.create({ ...entry, codeTagCalendar: 0 })).rejects.toThrow(
      'request was sent',
    );
  });

  it('lists every broken rule, the first as field/rule', async () => {
    const error = await rejection(create({ idNumber: '', action: 'R9' }));
    expect(error.issues.map((issue) => issue.field)).toEqual(['idNumber', 'action']);
  });

  it('update validates the id and the body', async () => {
    await expectInvalid(() => client.unitIdEntries.update(0, entry), 'id', /positive integer entry id/);
    await expectInvalid(
      () => client.unitIdEntries.update(5, { ...entry, action: 'Z' as never }),
      'action',
      /R1/,
    );
  });

  it('delete needs the id and the unitId', async () => {
    await expectInvalid(() => client.unitIdEntries.delete({ id: 5 } as never), 'unitId', /required/);
    await expectInvalid(() => client.unitIdEntries.delete({ id: -5, unitId: 1 }), 'id', /positive integer/);
  });

  it('list paging: limit positive, offset ≥ 0', async () => {
    await expectInvalid(() => client.unitIdEntries.list({ unitId: 1, limit: 0 }), 'limit', /positive/);
    await expectInvalid(() => client.unitIdEntries.list({ unitId: 1, offset: -1 }), 'offset', /≥ 0/);
  });

  it('iterate validates pageSize', async () => {
    await expectInvalid(
      () => client.unitIdEntries.listAll({ unitId: 1, pageSize: 0 }),
      'pageSize',
      /positive/,
    );
  });
});

describe('Control', () => {
  const base = { unitId: 3023, outputNumber: 'F1' as const, outputAction: 'ON' as const };
  const send = (overrides: Record<string, unknown>) => () =>
    client.control.send({ ...base, ...overrides } as never);

  it.each(['F3', 'F0', 'X0', 'X65', 'IX1', 'x1', 'X'])('outputNumber %p is refused', async (outputNumber) => {
    await expectInvalid(send({ outputNumber }), 'outputNumber', /F1, F2 or X1–X64/);
  });

  it.each(['F1', 'F2', 'X1', 'X33', 'X64'])('outputNumber %p is accepted', async (outputNumber) => {
    await expect(send({ outputNumber })()).rejects.toThrow('request was sent: POST /Control');
  });

  it.each(['on', 'TOGGLE', '0', '100000', '60s', '1.5', 60])(
    'outputAction %p is refused',
    async (outputAction) => {
      await expectInvalid(send({ outputAction }), 'outputAction', /ON, OFF or a pulse/);
    },
  );

  it.each(['ON', 'OFF', '1', '60', '99999'])('outputAction %p is accepted', async (outputAction) => {
    await expect(send({ outputAction })()).rejects.toThrow('request was sent');
  });

  it('needs exactly one of unitId and serialNumber', async () => {
    await expectInvalid(send({ unitId: undefined }), 'unitId', /required \(or give serialNumber/);
    await expectInvalid(send({ serialNumber: '040530585131396' }), 'serialNumber', /not both/);
    await expect(send({ unitId: undefined, serialNumber: '040530585131396' })()).rejects.toThrow(
      'request was sent',
    );
  });

  it('GET /Control needs exactly one unit reference', async () => {
    await expectInvalid(() => client.control.get({} as never), 'unitId', /required/);
    await expectInvalid(
      () => client.control.get({ unitId: 1, serialNumber: 'S1' } as never),
      'serialNumber',
      /not both/,
    );
  });
});

describe('unit information', () => {
  it('needs exactly one of typeName and profile', async () => {
    await expectInvalid(
      () => client.unitInfo.request({ unitId: 1 } as never),
      'typeName',
      /required \(or give profile/,
    );
    await expectInvalid(
      () =>
        client.unitInfo.request({ unitId: 1, typeName: 'CHECKTEMP', profile: 'controlStatusFull' } as never),
      'profile',
      /not both/,
    );
  });

  it('needs exactly one unit reference', async () => {
    await expectInvalid(
      () => client.unitInfo.request({ typeName: 'CHECKTEMP' } as never),
      'unitId',
      /required/,
    );
  });

  it.each([0, 101, 2.5])('UnitMessages limit %p must be 1–100', async (limit) => {
    await expectInvalid(() => client.unitInfo.messages({ unitId: 1, limit }), 'limit', /1 to 100/);
  });

  it('UnitMessages limit 100 is allowed', async () => {
    await expect(client.unitInfo.messages({ unitId: 1, limit: 100 })).rejects.toThrow('request was sent');
  });
});

describe('webhooks', () => {
  const hook = { unitId: 3023, event: 'control.statusChanged', callbackUrl: 'https://example.test/hook' };
  const put = (overrides: Record<string, unknown>) => () =>
    client.webhooks.put({ ...hook, ...overrides } as never);

  it.each(['/relative/path', 'ftp://example.test/x', 'example.test/hook', 'https://', ''])(
    'callbackUrl %p must be absolute http(s)',
    async (callbackUrl) => {
      await expectInvalid(put({ callbackUrl }), 'callbackUrl', /absolute http\(s\) URL/);
    },
  );

  it.each(['GET', 'DELETE', 'post'])('httpMethod %p is refused', async (httpMethod) => {
    await expectInvalid(put({ httpMethod }), 'httpMethod', /POST, PUT or PATCH/);
  });

  it.each([2, true, '1'])('isActive %p must be 1 or 0', async (isActive) => {
    await expectInvalid(put({ isActive }), 'isActive', /1 or 0/);
  });

  it('event is required for delete and test', async () => {
    await expectInvalid(() => client.webhooks.delete({ unitId: 1 } as never), 'event', /required/);
    await expectInvalid(() => client.webhooks.test({ unitId: 1, event: ' ' }), 'event', /event name/);
  });

  it('a valid upsert is sent', async () => {
    await expect(put({ httpMethod: 'PATCH', isActive: 0, secret: 's' })()).rejects.toThrow(
      'request was sent: PUT /Webhooks',
    );
  });
});

describe('settings, sync and tools', () => {
  it('only the four approved settings', async () => {
    const call = () => client.unitSettings.put({ unitId: 1, setting: 'AdminPin', value: '1' } as never);
    await expectInvalid(call, 'setting', /DefaultRelayPulse, WifiMode, WifiName, WifiPassword/);
  });

  it.each(['DefaultRelayPulse', 'WifiMode', 'WifiName', 'WifiPassword'] as const)(
    '%s is accepted',
    async (setting) => {
      await expect(client.unitSettings.put({ unitId: 1, setting, value: '5' })).rejects.toThrow(
        'request was sent',
      );
    },
  );

  it('unitSyncState is Synced or Changed', async () => {
    const call = () =>
      client.tools.allUnitDataSyncState({ unitId: 1, unitSyncState: 'PendingDelete' } as never);
    await expectInvalid(call, 'unitSyncState', /Synced or Changed/);
  });

  it('Tools: params only with setting', async () => {
    const call = () =>
      client.tools.unitSettingsSyncState({ unitId: 1, params: 'a', unitSyncState: 'Changed' });
    await expectInvalid(call, 'params', /together with setting/);
  });

  it('Tools: id must be a positive integer', async () => {
    const call = () => client.tools.idEntriesSyncState({ unitId: 1, id: 0, unitSyncState: 'Synced' });
    await expectInvalid(call, 'id', /positive integer/);
  });

  it('PushChanges needs a unit reference', async () => {
    await expectInvalid(() => client.unitSync.pushChanges({} as never), 'unitId', /required/);
  });

  it('Status and Abort need a unitId', async () => {
    await expectInvalid(() => client.unitSync.status({} as never), 'unitId', /required/);
    await expectInvalid(() => client.unitSync.abort({ unitId: -3 }), 'unitId', /positive integer/);
  });

  it('units.get needs a positive integer id', async () => {
    await expectInvalid(() => client.units.get(0), 'unitId', /positive integer/);
  });
});

describe('bookings and logs', () => {
  const booking = {
    bookingObjectId: 7,
    startIso: '2026-05-01T15:00:00+02:00',
    endIso: '2026-05-03T11:00:00+02:00',
  };

  it('startIso must be before endIso', async () => {
    await expectInvalid(
      () => client.bookings.create({ ...booking, endIso: booking.startIso }),
      'endIso',
      /after startIso/,
    );
  });

  it('times must be ISO 8601 with zone', async () => {
    await expectInvalid(
      () => client.bookings.create({ ...booking, startIso: '2026-05-01 15:00' }),
      'startIso',
      /ISO 8601/,
    );
  });

  it('bookingObjectId must be a positive integer', async () => {
    await expectInvalid(
      () => client.bookings.list({ bookingObjectId: 0 }),
      'bookingObjectId',
      /positive integer/,
    );
  });

  it('delete needs a booking id', async () => {
    await expectInvalid(() => client.bookings.delete({ bookingId: '' }), 'bookingId', /booking id/);
  });

  it('logs: fromIso before toIso', async () => {
    await expectInvalid(
      () => client.logs.list({ unitId: 1, fromIso: '2026-05-02T00:00:00Z', toIso: '2026-05-01T00:00:00Z' }),
      'toIso',
      /after fromIso/,
    );
  });
});

describe('client options', () => {
  it.each([
    [{ baseUrl: 'ftp://x.test/' }, 'baseUrl'],
    [{ baseUrl: 'api.flexykey.se/v1' }, 'baseUrl'],
    [{ baseUrl: 'https://x.test/v1/?a=1' }, 'baseUrl'],
    [{ username: '' }, 'username'],
    [{ username: 'a:b' }, 'username'],
    [{ password: '' }, 'password'],
    [{ timeouts: { headersMs: 0 } }, 'timeouts.headersMs'],
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
    [{ retry: { baseDelayMs: -1 } }, 'retry.baseDelayMs'],
  ])('%p is refused naming %s', (overrides, key) => {
    const options = { username: 'u', password: 'secret-value', ...overrides };
    expect(() => createFlexyKeyClient(options)).toThrow(TypeError);
    expect(() => createFlexyKeyClient(options)).toThrow(new RegExp(`${key.replace('.', '\\.')}: `));
  });

  it('never echoes the password', () => {
    expect(() => createFlexyKeyClient({ username: '', password: 'hunter2-secret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('accepts the defaults and a base URL without trailing slash', async () => {
    const a = createFlexyKeyClient({ username: 'u', password: 'p' });
    const b = createFlexyKeyClient({ username: 'u', password: 'p', baseUrl: 'http://127.0.0.1:1/v1' });
    await Promise.all([a.close(), b.close()]);
  });
});
