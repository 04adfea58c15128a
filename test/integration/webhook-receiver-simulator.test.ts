import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Queue } from 'bullmq';
import { request } from 'undici';
import { ConfigError, parseConfig } from '../../src/config';
import {
  createDoorEventStream,
  createHttpServer,
  type DoorEvent,
  type DoorEventStream,
  FLEXYKEY_WEBHOOK_PATH,
  type HttpServer,
  readWebhookSecrets,
  STATUS_CHANGED_EVENT,
  type WebhookRoutesDeps,
  webhookRoutes,
} from '../../src/http';
import { createBookingsQueue } from '../../src/jobs';
import { createLogger } from '../../src/logging';
import { createMetrics, type Metrics } from '../../src/metrics';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { SEED_UNITS, startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

const SECRET = 'whsec-0123456789abcdef-receiver';
const API_KEY = 'whkey-fedcba9876543210-receiver';
const UNIT = SEED_UNITS.main;

function sign(body: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Log lines of everything the server and the receiver say, at debug level. */
function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('FlexyKey webhook receiver against the simulator', () => {
  const redis = testRedis();
  let prefix: string;
  let queue: Queue;
  let server: HttpServer | undefined;
  let url: string;
  let stream: DoorEventStream;
  let sim: TestSimulator;
  let metrics: Metrics;
  let logs: ReturnType<typeof capturingLogger>;

  async function start(overrides: Partial<WebhookRoutesDeps> = {}): Promise<void> {
    const config = parseConfig({ redis: { prefix }, http: { port: 0 } }, {});
    server = createHttpServer({
      config,
      bookingsQueue: queue,
      logger: logs.logger,
      readiness: () => ({ redis: true, flexykey: true, shuttingDown: false }),
      routes: [
        webhookRoutes({
          secrets: { secret: SECRET, apiKey: API_KEY },
          publish: stream.publish,
          logger: logs.logger.child({ component: 'webhooks' }),
          metrics,
          bodyLimitBytes: 8_192,
          ...overrides,
        }),
      ],
    });
    url = (await server.listen()).url;
  }

  /** Points the simulator's webhook for the unit at our receiver (PUT /Webhooks, as an integrator would). */
  async function registerWebhook(settings: {
    secret?: string | null;
    apiKey?: string | null;
    httpMethod?: string;
  }) {
    const answer = await sim.api('PUT', 'Webhooks', {
      body: {
        unitId: UNIT,
        event: STATUS_CHANGED_EVENT,
        callbackUrl: `${url}${FLEXYKEY_WEBHOOK_PATH}`,
        httpMethod: settings.httpMethod ?? 'POST',
        secret: settings.secret === undefined ? SECRET : settings.secret,
        apiKey: settings.apiKey === undefined ? API_KEY : settings.apiKey,
        isActive: 1,
      },
    });
    expect([200, 201]).toContain(answer.status);
  }

  async function runTest() {
    const answer = await sim.api('POST', 'Webhooks/Test', {
      body: { unitId: UNIT, event: STATUS_CHANGED_EVENT },
    });
    expect(answer.status).toBe(200);
    return answer.body as { delivered: boolean; statusCode: number | null; error: string | null };
  }

  async function post(body: string | Buffer, headers: Record<string, string>, method = 'POST') {
    const response = await request(`${url}${FLEXYKEY_WEBHOOK_PATH}`, {
      method: method as 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text };
  }

  async function scrape(): Promise<string> {
    return metrics.render();
  }

  beforeAll(async () => {
    sim = await startTestSimulator();
  });

  beforeEach(async () => {
    prefix = uniquePrefix('webhooks');
    queue = createBookingsQueue(redis, prefix);
    stream = createDoorEventStream({ redis, prefix });
    metrics = createMetrics({ defaultMetrics: false });
    logs = capturingLogger();
    await sim.admin('DELETE', 'webhook-deliveries');
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await queue.close();
    await sim.api('DELETE', `Webhooks?unitId=${UNIT}&event=${STATUS_CHANGED_EVENT}`);
    // Nothing a test did may leak a secret into the logs, whatever it tested.
    const all = logs.lines.join('');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(API_KEY);
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.quit());

  describe('real deliveries', () => {
    it('a Test delivery is verified, answered 204 and published as a door event with the exact signed body', async () => {
      await start();
      await registerWebhook({});
      const result = await runTest();
      expect(result).toMatchObject({ delivered: true, statusCode: 204, error: null });

      const events = await stream.read();
      expect(events).toHaveLength(1);
      const event = events[0] as DoorEvent;
      const delivered = sim.simulator.webhookDeliveries().at(-1);
      expect(delivered?.headers['X-Signature']).toMatch(/^[0-9a-f]{64}$/);
      expect(event.status).toBe(delivered?.body);
      const control = (await sim.api('GET', `Control?unitId=${UNIT}`)).body;
      expect(event).toMatchObject({
        event: STATUS_CHANGED_EVENT,
        unitId: UNIT,
        serialNumber: control.serialNumber,
        statusTimestampIso: control.statusTimestampIso,
        rawStatus: control.rawStatus,
        inputs: control.inputs,
        fOutputs: control.fOutputs,
        xOutputs: control.xOutputs,
        xInputs: control.xInputs,
        isCached: false,
        isTest: true,
      });
      expect(Date.parse(event.receivedAt)).not.toBeNaN();
      expect(await scrape()).toContain('flexysync_webhook_deliveries_total{result="published"} 1');
    });

    it('a Control change on the unit reaches the stream as a (non-test) door event with the new output state', async () => {
      await start();
      await registerWebhook({});
      const answer = await sim.api('POST', 'Control', {
        body: { unitId: UNIT, outputNumber: 'F1', outputAction: 'ON' },
      });
      expect(answer.status).toBe(200);

      const [event] = await waitFor(async () => {
        const events = await stream.read();
        return events.length > 0 ? events : undefined;
      });
      expect(event?.isTest).toBe(false);
      expect(event?.unitId).toBe(UNIT);
      expect(event?.fOutputs).toContainEqual({ globalNumber: 'F1', state: 'ON' });
      await waitFor(() => sim.simulator.webhookDeliveries().at(-1)?.statusCode === 204);
    });

    it('takes the webhook whatever httpMethod it is configured with (PUT)', async () => {
      await start();
      await registerWebhook({ httpMethod: 'PUT' });
      expect(await runTest()).toMatchObject({ delivered: true, statusCode: 204 });
      expect(await stream.read()).toHaveLength(1);
    });

    it('without an API key configured on our side, a signed delivery needs no X-Api-Key', async () => {
      await start({ secrets: { secret: SECRET } });
      await registerWebhook({ apiKey: null });
      expect(await runTest()).toMatchObject({ delivered: true, statusCode: 204 });
      expect(await stream.read()).toHaveLength(1);
    });
  });

  describe('refused deliveries publish nothing', () => {
    it('a delivery signed with another secret (forged signature) is answered 401', async () => {
      await start();
      await registerWebhook({ secret: 'not-the-shared-secret-at-all' });
      expect(await runTest()).toMatchObject({ delivered: false, statusCode: 401 });
      expect(await stream.read()).toEqual([]);
      expect(await scrape()).toContain('flexysync_webhook_deliveries_total{result="unauthorized"} 1');
      expect(logs.lines.join('')).toContain('X-Signature does not match the body');
    });

    it('a delivery with the wrong API key is answered 401', async () => {
      await start();
      await registerWebhook({ apiKey: 'another-api-key-0123456789' });
      expect(await runTest()).toMatchObject({ delivered: false, statusCode: 401 });
      expect(await stream.read()).toEqual([]);
    });

    it('a delivery without an API key, when we expect one, is answered 401', async () => {
      await start();
      await registerWebhook({ apiKey: null });
      expect(await runTest()).toMatchObject({ delivered: false, statusCode: 401 });
      expect(await stream.read()).toEqual([]);
    });

    it('an unsigned delivery (no secret on the FlexyKey side) is answered 401', async () => {
      await start();
      await registerWebhook({ secret: null });
      expect(await runTest()).toMatchObject({ delivered: false, statusCode: 401 });
      const delivered = sim.simulator.webhookDeliveries().at(-1);
      expect(delivered?.headers['X-Signature']).toBeUndefined();
      expect(await stream.read()).toEqual([]);
    });

    it('a real delivery replayed with an altered body is answered 401; replayed as is, it is accepted', async () => {
      await start();
      await registerWebhook({});
      expect(await runTest()).toMatchObject({ delivered: true, statusCode: 204 });
      const original = sim.simulator.webhookDeliveries().at(-1);
      if (!original) throw new Error('no delivery recorded');
      const headers = {
        'x-event': STATUS_CHANGED_EVENT,
        'x-unitid': String(UNIT),
        'x-api-key': API_KEY,
        'x-signature': original.headers['X-Signature'] as string,
      };
      const altered = original.body.replace('"state":"OFF"', '"state":"ON"');
      expect(altered).not.toBe(original.body);

      const refused = await post(altered, headers);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text)).toMatchObject({ code: 'unauthorized' });
      expect(refused.headers['www-authenticate']).toBeDefined();
      expect(await stream.read()).toHaveLength(1);

      // One byte of whitespace is an altered body too: the HMAC covers the raw bytes, not the JSON.
      expect((await post(`${original.body} `, headers)).status).toBe(401);

      expect((await post(original.body, headers)).status).toBe(204);
      expect(await stream.read()).toHaveLength(2);
    });

    it('missing, malformed or truncated signatures are refused before the body is read', async () => {
      await start();
      const body = JSON.stringify({ unitId: UNIT, fOutputs: [] });
      const base = { 'x-api-key': API_KEY };
      for (const signature of [
        undefined,
        '',
        'abc',
        sign(body).slice(0, 63),
        `${sign(body)}00`,
        'z'.repeat(64),
      ]) {
        const headers = signature === undefined ? base : { ...base, 'x-signature': signature };
        expect((await post(body, headers)).status).toBe(401);
      }
      expect(await stream.read()).toEqual([]);
    });

    it('a signature computed with the API key instead of the secret is refused', async () => {
      await start();
      const body = JSON.stringify({ unitId: UNIT });
      expect((await post(body, { 'x-api-key': API_KEY, 'x-signature': sign(body, API_KEY) })).status).toBe(
        401,
      );
      expect(await stream.read()).toEqual([]);
    });
  });

  describe('body handling', () => {
    const headersFor = (body: string, extra: Record<string, string> = {}) => ({
      'x-api-key': API_KEY,
      'x-signature': sign(body),
      ...extra,
    });

    it('accepts the documented variants of the signature (upper case, sha256= prefix) and unknown fields', async () => {
      await start();
      const body = JSON.stringify({ unitId: UNIT, somethingNew: { nested: true }, fOutputs: 'not-a-list' });
      expect((await post(body, headersFor(body, { 'x-signature': sign(body).toUpperCase() }))).status).toBe(
        204,
      );
      expect((await post(body, headersFor(body, { 'x-signature': `sha256=${sign(body)}` }))).status).toBe(
        204,
      );
      const [event] = await stream.read();
      expect(event?.status).toBe(body);
      expect(event?.fOutputs).toEqual([]);
      expect(JSON.parse(event?.status ?? '{}').somethingNew).toEqual({ nested: true });
    });

    it('takes the unit from the X-UnitId header when the body has none, and refuses a disagreement', async () => {
      await start();
      const bare = JSON.stringify({ fOutputs: [] });
      expect((await post(bare, headersFor(bare, { 'x-unitid': '3024' }))).status).toBe(204);
      expect((await stream.read())[0]?.unitId).toBe(3024);

      const body = JSON.stringify({ unitId: UNIT });
      const mismatch = await post(body, headersFor(body, { 'x-unitid': '3024' }));
      expect(mismatch.status).toBe(400);
      expect(await stream.read()).toHaveLength(1);

      const nowhere = JSON.stringify({ fOutputs: [] });
      expect((await post(nowhere, headersFor(nowhere))).status).toBe(400);
    });

    it('a signed body that is not a JSON object is answered 400 and not published', async () => {
      await start();
      for (const body of ['{"unitId":', '[1,2]', '"text"', '']) {
        const answer = await post(body, headersFor(body));
        expect(answer.status).toBe(400);
      }
      expect(await stream.read()).toEqual([]);
      expect(await scrape()).toContain('flexysync_webhook_deliveries_total{result="invalid"} 4');
    });

    it('a body over the limit is answered 413, whatever its signature', async () => {
      await start();
      const body = JSON.stringify({ unitId: UNIT, padding: 'x'.repeat(9_000) });
      const answer = await post(body, headersFor(body));
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.text)).toMatchObject({ code: 'payload_too_large' });
      expect(await stream.read()).toEqual([]);
    });

    it('takes any Content-Type (or none): the bytes are what is signed', async () => {
      await start();
      const body = JSON.stringify({ unitId: UNIT });
      expect((await post(body, headersFor(body, { 'content-type': 'text/plain' }))).status).toBe(204);
      const response = await request(`${url}${FLEXYKEY_WEBHOOK_PATH}`, {
        method: 'POST',
        headers: headersFor(body),
        body,
      });
      await response.body.dump();
      expect(response.statusCode).toBe(204);
      expect(await stream.read()).toHaveLength(2);
    });

    it('an event other than control.statusChanged is acknowledged and ignored', async () => {
      await start();
      const body = JSON.stringify({ unitId: UNIT });
      expect((await post(body, headersFor(body, { 'x-event': 'control.somethingElse' }))).status).toBe(204);
      expect(await stream.read()).toEqual([]);
      expect(await scrape()).toContain('flexysync_webhook_deliveries_total{result="ignored"} 1');
    });

    it('GET on the receiver is 405: it only takes deliveries', async () => {
      await start();
      const response = await request(`${url}${FLEXYKEY_WEBHOOK_PATH}`);
      await response.body.dump();
      expect(response.statusCode).toBe(405);
    });
  });

  describe('when the door event cannot be stored', () => {
    const body = JSON.stringify({ unitId: UNIT });
    const headers = () => ({ 'x-api-key': API_KEY, 'x-signature': sign(body) });

    it('answers 503 with Retry-After when publishing fails (FlexyKey may deliver again)', async () => {
      await start({ publish: async () => Promise.reject(new Error('redis down')) });
      const answer = await post(body, headers());
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
      expect(await scrape()).toContain('flexysync_webhook_deliveries_total{result="unavailable"} 1');
    });

    it('answers 503 when publishing hangs past the deadline, instead of keeping FlexyKey waiting', async () => {
      await start({ publish: () => new Promise(() => {}), publishTimeoutMs: 100 });
      const started = Date.now();
      const answer = await post(body, headers());
      expect(answer.status).toBe(503);
      // Answered after the 100 ms deadline, not held until the test times out; the bound leaves room
      // for a busy machine.
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});

describe('readWebhookSecrets', () => {
  const files: Record<string, string> = { '/run/secrets/wh': `${SECRET}\n`, '/run/secrets/empty': '' };
  const readFile = (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return text;
  };
  const read = (env: Record<string, string>) => readWebhookSecrets({ env, readFile });
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      read(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    throw new Error('expected a ConfigError');
  };

  it('reads the secret and the optional API key from the environment or files', () => {
    expect(read({ FLEXYSYNC_WEBHOOK_SECRET: SECRET })).toEqual({ secret: SECRET });
    expect(
      read({ FLEXYSYNC_WEBHOOK_SECRET_FILE: '/run/secrets/wh', FLEXYSYNC_WEBHOOK_API_KEY: API_KEY }),
    ).toEqual({
      secret: SECRET,
      apiKey: API_KEY,
    });
  });

  it('refuses to run without a secret: the receiver never takes unsigned deliveries', () => {
    expect(problemsOf({})).toEqual([expect.stringContaining('FLEXYSYNC_WEBHOOK_SECRET')]);
    expect(problemsOf({ FLEXYSYNC_WEBHOOK_API_KEY: API_KEY })).toHaveLength(1);
  });

  it('names the variable and never the value of a bad secret', () => {
    const cases: Record<string, string>[] = [
      { FLEXYSYNC_WEBHOOK_SECRET: 'short-secret' },
      { FLEXYSYNC_WEBHOOK_SECRET: `${'s'.repeat(20)}\tx` },
      { FLEXYSYNC_WEBHOOK_SECRET: 'x'.repeat(257) },
      { FLEXYSYNC_WEBHOOK_SECRET: SECRET, FLEXYSYNC_WEBHOOK_SECRET_FILE: '/run/secrets/wh' },
      { FLEXYSYNC_WEBHOOK_SECRET_FILE: '/run/secrets/missing' },
      { FLEXYSYNC_WEBHOOK_SECRET_FILE: '/run/secrets/empty' },
      { FLEXYSYNC_WEBHOOK_SECRET: SECRET, FLEXYSYNC_WEBHOOK_API_KEY: 'short-key' },
    ];
    for (const env of cases) {
      const problems = problemsOf(env);
      expect(problems.length).toBeGreaterThan(0);
      for (const value of Object.values(env)) {
        if (!value.startsWith('/run/')) expect(problems.join('\n')).not.toContain(value);
      }
      expect(problems.join('\n')).toMatch(/FLEXYSYNC_WEBHOOK_(SECRET|API_KEY)/);
    }
  });
});
