import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SEED_UNITS, startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "Webhooks": upsert per unitId + event, headers X-Event, X-UnitId, X-Webhook-Test, X-Api-Key,
// X-Signature (HMAC over the raw JSON body with the secret); payload = the GET /Control object.

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

let receiver: Server;
let receiverUrl: string;
let received: Received[] = [];
let answerStatus = 204;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        raw: Buffer.concat(chunks),
      });
      res.statusCode = answerStatus;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

const UNIT = SEED_UNITS.wexp;
const EVENT = 'control.statusChanged';
let sim: TestSimulator;

beforeEach(async () => {
  received = [];
  answerStatus = 204;
  sim = await startTestSimulator();
});

const put = (body: Record<string, unknown>) =>
  sim.api('PUT', 'Webhooks', { body: { unitId: UNIT, event: EVENT, callbackUrl: receiverUrl, ...body } });

describe('webhook configuration', () => {
  it('GET /Webhooks/Events lists control.statusChanged', async () => {
    const res = await sim.api('GET', 'Webhooks/Events');
    expect(res.body).toEqual([{ event: EVENT, description: expect.any(String) }]);
  });

  it('PUT upserts: 201 when created, 200 when updated; defaults POST and isActive 1', async () => {
    const created = await put({ secret: 's3cret', apiKey: 'key-1' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      unitId: UNIT,
      event: EVENT,
      callbackUrl: receiverUrl,
      httpMethod: 'POST',
      hasSecret: true,
      hasApiKey: true,
      isActive: 1,
    });
    expect(JSON.stringify(created.body)).not.toContain('s3cret');
    const updated = await put({ httpMethod: 'PATCH', isActive: 0 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      httpMethod: 'PATCH',
      isActive: 0,
      hasSecret: false,
      hasApiKey: false,
    });
  });

  it('GET lists by unit and optionally by event; DELETE → 204, then 404', async () => {
    await put({});
    const list = await sim.api('GET', `Webhooks?unitId=${UNIT}`);
    expect(list.body).toHaveLength(1);
    const one = await sim.api('GET', `Webhooks?unitId=${UNIT}&event=${EVENT}`);
    expect(one.body[0].event).toBe(EVENT);
    const del = await sim.api('DELETE', `Webhooks?unitId=${UNIT}&event=${EVENT}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await sim.api('GET', `Webhooks?unitId=${UNIT}`)).body).toEqual([]);
    expect((await sim.api('DELETE', `Webhooks?unitId=${UNIT}&event=${EVENT}`)).status).toBe(404);
  });

  it('DELETE of another company’s webhook → 403', async () => {
    const res = await sim.api('DELETE', `Webhooks?unitId=${SEED_UNITS.otherCompany}&event=${EVENT}`);
    expect(res.status).toBe(403);
  });

  it.each([
    ['callbackUrl', { callbackUrl: '/relative/path' }],
    ['callbackUrl', { callbackUrl: 'ftp://example.com/hook' }],
    ['callbackUrl', { callbackUrl: undefined }],
    ['event', { event: 'control.somethingElse' }],
    ['httpMethod', { httpMethod: 'GET' }],
    ['isActive', { isActive: 2 }],
    ['isActive', { isActive: true }],
    ['unitId', { unitId: undefined }],
  ])('PUT 400 naming %s for %j', async (field, patch) => {
    const res = await put(patch);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });

  it('GET and DELETE need unitId (and DELETE an event)', async () => {
    expect((await sim.api('GET', 'Webhooks')).body.errors).toHaveProperty('unitId');
    expect((await sim.api('DELETE', `Webhooks?unitId=${UNIT}`)).body.errors).toHaveProperty('event');
  });
});

describe('webhook deliveries', () => {
  it('an IO change delivers the Control status, signed with HMAC-SHA256 over the raw body', async () => {
    await put({ secret: 'shared-secret', apiKey: 'api-key-7' });
    await sim.api('POST', 'Control', { body: { unitId: UNIT, outputNumber: 'X3', outputAction: 'ON' } });
    await waitFor(() => received.length === 1);
    const [hit] = received as [Received];
    expect(hit.method).toBe('POST');
    expect(hit.url).toBe('/hook');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['x-event']).toBe(EVENT);
    expect(hit.headers['x-unitid']).toBe(String(UNIT));
    expect(hit.headers['x-api-key']).toBe('api-key-7');
    expect(hit.headers['x-webhook-test']).toBeUndefined();
    const expected = createHmac('sha256', 'shared-secret').update(hit.raw).digest('hex');
    expect(hit.headers['x-signature']).toBe(expected);
    expect(hit.headers['x-signature']).toMatch(/^[0-9a-f]{64}$/);
    const wrong = createHmac('sha256', 'other-secret').update(hit.raw).digest('hex');
    expect(hit.headers['x-signature']).not.toBe(wrong);

    const payload = JSON.parse(hit.raw.toString('utf8'));
    const current = (await sim.api('GET', `Control?unitId=${UNIT}`)).body;
    expect(payload).toEqual(current);
    expect(payload.xOutputs.find((p: { globalNumber: string }) => p.globalNumber === 'X3').state).toBe('ON');

    const deliveries = (await sim.admin('GET', 'webhook-deliveries')).body;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ unitId: UNIT, test: false, delivered: true, statusCode: 204 });
    expect(JSON.stringify(deliveries)).not.toContain('api-key-7');
  });

  it('without secret and apiKey those headers are absent; httpMethod is honoured', async () => {
    await put({ httpMethod: 'PUT' });
    await sim.admin('PATCH', `units/${UNIT}`, { inputs: { IX2: true } });
    await waitFor(() => received.length === 1);
    expect(received[0]?.method).toBe('PUT');
    expect(received[0]?.headers['x-signature']).toBeUndefined();
    expect(received[0]?.headers['x-api-key']).toBeUndefined();
    const payload = JSON.parse(received[0]?.raw.toString('utf8') ?? '{}');
    expect(payload.xInputs.find((p: { globalNumber: string }) => p.globalNumber === 'IX2').state).toBe('ON');
  });

  it('an inactive webhook receives nothing on IO changes', async () => {
    await put({ isActive: 0 });
    await sim.api('POST', 'Control', { body: { unitId: UNIT, outputNumber: 'X1', outputAction: 'ON' } });
    // A second, active unit's delivery proves deliveries run; the inactive one stays silent.
    await sim.api('PUT', 'Webhooks', {
      body: { unitId: SEED_UNITS.main, event: EVENT, callbackUrl: `${receiverUrl}?main` },
    });
    await sim.api('POST', 'Control', {
      body: { unitId: SEED_UNITS.main, outputNumber: 'F1', outputAction: 'ON' },
    });
    await waitFor(() => received.length >= 1);
    expect(received.map((r) => r.url)).toEqual(['/hook?main']);
  });

  it('POST /Webhooks/Test delivers now with X-Webhook-Test: 1 (even when inactive)', async () => {
    await put({ secret: 'k', isActive: 0 });
    const res = await sim.api('POST', 'Webhooks/Test', { body: { unitId: UNIT, event: EVENT } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ delivered: true, statusCode: 204, elapsedMs: expect.any(Number) });
    expect(received).toHaveLength(1);
    expect(received[0]?.headers['x-webhook-test']).toBe('1');
    const raw = received[0]?.raw as Buffer;
    expect(received[0]?.headers['x-signature']).toBe(createHmac('sha256', 'k').update(raw).digest('hex'));
  });

  it('Test reports a failing receiver and an unreachable one', async () => {
    answerStatus = 500;
    await put({});
    const failing = await sim.api('POST', 'Webhooks/Test', { body: { unitId: UNIT, event: EVENT } });
    expect(failing.body).toMatchObject({ delivered: false, statusCode: 500 });
    await put({ callbackUrl: 'http://127.0.0.1:1/nothing-listens' });
    const unreachable = await sim.api('POST', 'Webhooks/Test', { body: { unitId: UNIT, event: EVENT } });
    expect(unreachable.body).toMatchObject({ delivered: false, statusCode: null, error: expect.any(String) });
  });

  it('Test without a configured webhook → 404', async () => {
    const res = await sim.api('POST', 'Webhooks/Test', { body: { unitId: UNIT, event: EVENT } });
    expect(res.status).toBe(404);
  });

  it('a CHECKASTAT answer (an ASTAT message) also triggers control.statusChanged', async () => {
    await put({});
    await sim.admin('PATCH', `units/${UNIT}`, { packetLatencyMs: 5 });
    await sim.api('POST', 'RequestUnitInfo', { body: { unitId: UNIT, typeName: 'CHECKASTAT' } });
    await waitFor(() => received.length === 1);
    expect(received[0]?.headers['x-event']).toBe(EVENT);
  });
});
