import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  controlStatusSchema,
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  FlexyKeyRequestValidationError,
  FlexyKeyValidationError,
} from '../../src/flexykey';
import {
  CALL,
  type Contract,
  failureOf,
  type ReceivedWebhook,
  startContract,
  startWebhookReceiver,
} from '../helpers/contract';
import { SEED_UNITS } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "Webhooks": one event (control.statusChanged, on an ASTAT status message), configured per
// unitId + event with an upsert; test deliveries carry `X-Webhook-Test: 1`; `X-Api-Key` when set;
// `X-Signature` when a secret is set, an HMAC over the raw JSON body. Notes: lowercase hex
// HMAC-SHA256; PUT answers 201 when created, 200 when updated; DELETE 204.

const UNIT = SEED_UNITS.main;
const EVENT = 'control.statusChanged';
const SECRET = 'whsec-contract-test-3023';
const API_KEY = 'receiver-api-key-42';

/** What a receiver must do: HMAC-SHA256 of the exact body bytes, compared in constant time. */
function verifies(delivery: ReceivedWebhook, secret: string): boolean {
  const signature = delivery.headers['x-signature'];
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(delivery.rawBody).digest();
  return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
}

let c: Contract;

beforeEach(async () => {
  c = await startContract();
});

describe('configuration', () => {
  it('events lists control.statusChanged', async () => {
    expect(await c.client.webhooks.events()).toEqual([EVENT]);
  });

  it('put creates (201) then updates (200); list and get return it without secret or key; delete (204) → get null', async () => {
    const receiver = await startWebhookReceiver();
    const created = await c.client.webhooks.put({
      unitId: UNIT,
      event: EVENT,
      callbackUrl: receiver.url,
      httpMethod: 'POST',
      secret: SECRET,
      apiKey: API_KEY,
      isActive: 1,
    });
    expect(created.created).toBe(true);
    expect(created.webhook).toMatchObject({
      unitId: UNIT,
      event: EVENT,
      callbackUrl: receiver.url,
      httpMethod: 'POST',
      hasSecret: true,
      hasApiKey: true,
      isActive: true,
    });
    expect(JSON.stringify(created.webhook)).not.toContain(SECRET);
    expect(JSON.stringify(created.webhook)).not.toContain(API_KEY);

    const updated = await c.client.webhooks.put({
      unitId: UNIT,
      event: EVENT,
      callbackUrl: `${receiver.url}?v=2`,
      httpMethod: 'PUT',
      secret: SECRET,
      isActive: 0,
    });
    expect(updated.created).toBe(false);
    expect(updated.webhook).toMatchObject({ httpMethod: 'PUT', hasApiKey: false, isActive: false });

    expect(await c.client.webhooks.list({ unitId: UNIT })).toEqual([updated.webhook]);
    expect(await c.client.webhooks.list({ unitId: UNIT, event: EVENT })).toEqual([updated.webhook]);
    expect(await c.client.webhooks.get({ unitId: UNIT, event: EVENT })).toEqual(updated.webhook);
    expect(await c.client.webhooks.list({ unitId: SEED_UNITS.wexp })).toEqual([]);

    await c.client.webhooks.delete({ unitId: UNIT, event: EVENT });
    expect(c.calls(CALL.deleteWebhook)).toBe(1);
    expect(await c.client.webhooks.get({ unitId: UNIT, event: EVENT })).toBeNull();
    expect(await c.client.webhooks.list({ unitId: UNIT })).toEqual([]);
    // Deleting what is not there.
    expect(await failureOf(c.client.webhooks.delete({ unitId: UNIT, event: EVENT }))).toBeInstanceOf(
      FlexyKeyNotFoundError,
    );
  });

  it('bad configurations: the client refuses what it can check, the server the rest', async () => {
    const url = 'http://127.0.0.1:9/hook';
    for (const bad of [
      { callbackUrl: '/relative/path' },
      { callbackUrl: 'ftp://example.com/hook' },
      { httpMethod: 'GET' },
      { isActive: 2 },
    ]) {
      const error = await failureOf(
        c.client.webhooks.put({ unitId: UNIT, event: EVENT, callbackUrl: url, ...bad } as never),
      );
      expect(error).toBeInstanceOf(FlexyKeyRequestValidationError);
    }
    expect(c.calls(CALL.putWebhook)).toBe(0);
    const unknownEvent = await failureOf(
      c.client.webhooks.put({ unitId: UNIT, event: 'door.opened', callbackUrl: url }),
    );
    expect(unknownEvent).toBeInstanceOf(FlexyKeyValidationError);
    expect((unknownEvent as FlexyKeyValidationError).fieldErrors.event?.length).toBeGreaterThan(0);
    expect(c.calls(CALL.putWebhook)).toBe(1);
    expect(c.unit(UNIT).webhooks).toEqual([]);
  });

  it("another company's unit → FlexyKeyForbiddenError", async () => {
    const other = SEED_UNITS.otherCompany;
    expect(
      await failureOf(
        c.client.webhooks.put({ unitId: other, event: EVENT, callbackUrl: 'http://127.0.0.1:9/' }),
      ),
    ).toBeInstanceOf(FlexyKeyForbiddenError);
    expect(await failureOf(c.client.webhooks.list({ unitId: other }))).toBeInstanceOf(FlexyKeyForbiddenError);
    expect(await failureOf(c.client.webhooks.test({ unitId: other, event: EVENT }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
  });
});

describe('deliveries to a local receiver', () => {
  it('test delivery: headers, the payload of GET /Control, and a signature that verifies only with the right secret', async () => {
    const receiver = await startWebhookReceiver();
    await c.client.webhooks.put({
      unitId: UNIT,
      event: EVENT,
      callbackUrl: receiver.url,
      httpMethod: 'PATCH',
      secret: SECRET,
      apiKey: API_KEY,
    });
    const result = await c.client.webhooks.test({ unitId: UNIT, event: EVENT });
    expect(result).toMatchObject({ delivered: true, statusCode: 204 });
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received as [ReceivedWebhook];

    expect(delivery.method).toBe('PATCH');
    expect(delivery.url).toBe('/hooks/flexykey');
    expect(delivery.headers['x-event']).toBe(EVENT);
    expect(delivery.headers['x-unitid']).toBe(String(UNIT));
    expect(delivery.headers['x-webhook-test']).toBe('1');
    expect(delivery.headers['x-api-key']).toBe(API_KEY);
    expect(delivery.headers['content-type']).toMatch(/^application\/json/);

    const signature = delivery.headers['x-signature'];
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signature).toBe(createHmac('sha256', SECRET).update(delivery.rawBody).digest('hex'));
    expect(verifies(delivery, SECRET)).toBe(true);
    expect(verifies(delivery, `${SECRET}x`)).toBe(false);
    expect(verifies(delivery, 'another-secret')).toBe(false);
    // The signature covers the exact bytes: a re-serialised or altered body does not verify.
    const tampered = {
      ...delivery,
      rawBody: Buffer.from(delivery.rawBody.toString('utf8').replace(/OFF/, 'ON')),
    };
    expect(tampered.rawBody.equals(delivery.rawBody)).toBe(false);
    expect(verifies(tampered, SECRET)).toBe(false);

    // The payload is the GET /Control status object and parses with the client's own schema.
    const payload = controlStatusSchema.parse(JSON.parse(delivery.rawBody.toString('utf8')));
    const current = await c.client.control.get({ unitId: UNIT });
    expect(payload).toEqual(current);
  });

  it('without a secret or key, X-Signature and X-Api-Key are absent', async () => {
    const receiver = await startWebhookReceiver();
    await c.client.webhooks.put({ unitId: UNIT, event: EVENT, callbackUrl: receiver.url });
    await c.client.webhooks.test({ unitId: UNIT, event: EVENT });
    const [delivery] = receiver.received as [ReceivedWebhook];
    expect(delivery.method).toBe('POST');
    expect(delivery.headers['x-signature']).toBeUndefined();
    expect(delivery.headers['x-api-key']).toBeUndefined();
    expect(delivery.headers['x-webhook-test']).toBe('1');
  });

  it('a Control change delivers control.statusChanged without the test header, signed, with the new state', async () => {
    const receiver = await startWebhookReceiver();
    await c.client.webhooks.put({ unitId: UNIT, event: EVENT, callbackUrl: receiver.url, secret: SECRET });
    await c.client.control.send({ unitId: UNIT, outputNumber: 'F2', outputAction: 'ON' });
    await waitFor(() => receiver.received.length >= 1, { description: 'status webhook' });
    const [delivery] = receiver.received as [ReceivedWebhook];
    expect(delivery.headers['x-event']).toBe(EVENT);
    expect(delivery.headers['x-unitid']).toBe(String(UNIT));
    expect(delivery.headers['x-webhook-test']).toBeUndefined();
    expect(verifies(delivery, SECRET)).toBe(true);
    const payload = JSON.parse(delivery.rawBody.toString('utf8'));
    expect(payload.unitId).toBe(UNIT);
    expect(payload.fOutputs).toContainEqual({ globalNumber: 'F2', state: 'ON' });
    expect(Number.isNaN(Date.parse(payload.statusTimestampIso))).toBe(false);
  });

  it('an ASTAT answer to a CHECKASTAT request also delivers control.statusChanged', async () => {
    const receiver = await startWebhookReceiver();
    await c.client.webhooks.put({ unitId: UNIT, event: EVENT, callbackUrl: receiver.url });
    await c.client.unitInfo.request({ unitId: UNIT, typeName: 'CHECKASTAT' });
    await waitFor(() => receiver.received.length >= 1, { description: 'ASTAT webhook' });
    expect(receiver.received[0]?.headers['x-webhook-test']).toBeUndefined();
    expect(receiver.received[0]?.headers['x-event']).toBe(EVENT);
    // A CHECKTEMP answer is no status message.
    await c.client.unitInfo.request({ unitId: UNIT, typeName: 'CHECKTEMP' });
    await waitFor(
      async () => (await c.client.unitInfo.messages({ unitId: UNIT, typeName: 'CHECKTEMP' })).length > 0,
    );
    // A status delivery caused by it would have been sent before this awaited test delivery.
    await c.client.webhooks.test({ unitId: UNIT, event: EVENT });
    expect(receiver.received.map((d) => d.headers['x-webhook-test'])).toEqual([undefined, '1']);
  });

  it('an inactive webhook gets no status deliveries, but a test call still reaches it', async () => {
    const receiver = await startWebhookReceiver();
    await c.client.webhooks.put({ unitId: UNIT, event: EVENT, callbackUrl: receiver.url, isActive: 0 });
    await c.client.control.send({ unitId: UNIT, outputNumber: 'F1', outputAction: 'ON' });
    await c.client.webhooks.test({ unitId: UNIT, event: EVENT });
    // The test delivery is awaited by the Test call; a status delivery would have been sent first.
    expect(receiver.received.map((d) => d.headers['x-webhook-test'])).toEqual(['1']);
    expect(c.sim.simulator.webhookDeliveries().filter((d) => !d.test)).toEqual([]);
  });

  it('Test without a configured webhook → FlexyKeyNotFoundError; a receiver that is down is reported, not thrown', async () => {
    expect(await failureOf(c.client.webhooks.test({ unitId: UNIT, event: EVENT }))).toBeInstanceOf(
      FlexyKeyNotFoundError,
    );
    const receiver = await startWebhookReceiver();
    const url = receiver.url;
    await receiver.close();
    await c.client.webhooks.put({ unitId: UNIT, event: EVENT, callbackUrl: url });
    const result = await c.client.webhooks.test({ unitId: UNIT, event: EVENT });
    expect(result).toMatchObject({ delivered: false });
    expect(c.calls(CALL.testWebhook)).toBe(2);
  });
});
