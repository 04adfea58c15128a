import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ConfigError } from '../../config';
import type { Logger } from '../../logging';
import { constantTimeEqual } from '../auth';
import { HttpError } from '../errors';
import type { HttpRoutes } from '../server';

/** Where FlexyKey delivers webhooks: the `callbackUrl` to register with `PUT /Webhooks`. */
export const FLEXYKEY_WEBHOOK_PATH = '/v1/webhooks/flexykey';

/** The only event FlexyKey sends (guide, Webhooks: "Currently supported event"). */
export const STATUS_CHANGED_EVENT = 'control.statusChanged';

/** Environment variables holding the webhook's shared secrets (never the configuration file). */
export const WEBHOOK_SECRET_ENV = {
  secret: 'FLEXYSYNC_WEBHOOK_SECRET',
  secretFile: 'FLEXYSYNC_WEBHOOK_SECRET_FILE',
  apiKey: 'FLEXYSYNC_WEBHOOK_API_KEY',
  apiKeyFile: 'FLEXYSYNC_WEBHOOK_API_KEY_FILE',
} as const;

/** Shorter secrets are refused: an HMAC key is only as strong as its guessability. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;
/** FLEXYKEY: PUT /Webhooks takes `secret` and `apiKey` of at most 256 characters (our working assumption). */
export const MAX_WEBHOOK_SECRET_LENGTH = 256;

export interface ReadSecretOptions {
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads the `…_FILE` variables. @default fs.readFileSync(path, 'utf8') */
  readFile?: (path: string) => string;
}

/**
 * A secret from the environment variable `name`, or from the file named by `fileName` (one trailing
 * newline removed); undefined when neither is set. Problems (both set, unreadable or empty file, too
 * short or long, control characters) are pushed to `problems`, naming the variable, never the value.
 */
export function readSecretFromEnv(
  name: string,
  fileName: string,
  problems: string[],
  options: ReadSecretOptions & { minLength?: number; maxLength?: number } = {},
): string | undefined {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const direct = nonEmpty(env[name]);
  const file = nonEmpty(env[fileName]);
  if (direct !== undefined && file !== undefined) {
    problems.push(`${name} and ${fileName} (environment): set one of them, not both`);
    return undefined;
  }
  let value = direct;
  let where = `${name} (environment)`;
  if (file !== undefined) {
    where = `${fileName} ('${file}') (environment)`;
    try {
      // Secret files usually end with a newline (echo, editors, Kubernetes secrets).
      value = readFile(file).replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push(`${fileName} (environment): cannot read '${file}' (${code})`);
      return undefined;
    }
    if (value === '') {
      problems.push(`${where}: the file is empty`);
      return undefined;
    }
  }
  if (value === undefined) return undefined;
  const before = problems.length;
  const min = options.minLength ?? 1;
  if (value.length < min)
    problems.push(`${where}: must be at least ${min} characters (e.g. openssl rand -hex 32)`);
  if (options.maxLength !== undefined && value.length > options.maxLength) {
    problems.push(`${where}: must be at most ${options.maxLength} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    problems.push(`${where}: must not contain control characters (a stray newline in the file?)`);
  }
  return problems.length === before ? value : undefined;
}

/** The shared secrets FlexyKey signs and tags its deliveries with (`secret`, `apiKey` of PUT /Webhooks). */
export interface WebhookSecrets {
  /** HMAC-SHA256 key of `X-Signature`. */
  secret: string;
  /** Expected `X-Api-Key`; when undefined the header is not checked. */
  apiKey?: string | undefined;
}

/**
 * The webhook's secrets, from `FLEXYSYNC_WEBHOOK_SECRET` (or `…_SECRET_FILE`) and optionally
 * `FLEXYSYNC_WEBHOOK_API_KEY` (or `…_API_KEY_FILE`). Call it when `webhooks.enabled`: the receiver never
 * takes unsigned deliveries, so a missing secret throws {@link ConfigError}, as do bad values. Messages
 * never contain a secret.
 */
export function readWebhookSecrets(options: ReadSecretOptions = {}): WebhookSecrets {
  const problems: string[] = [];
  const limits = { ...options, minLength: MIN_WEBHOOK_SECRET_LENGTH, maxLength: MAX_WEBHOOK_SECRET_LENGTH };
  const { secret: name, secretFile, apiKey: keyName, apiKeyFile } = WEBHOOK_SECRET_ENV;
  const secret = readSecretFromEnv(name, secretFile, problems, limits);
  const apiKey = readSecretFromEnv(keyName, apiKeyFile, problems, limits);
  if (secret === undefined && problems.length === 0) {
    problems.push(
      `${name} (environment): webhooks.enabled is true but no secret is set (${name} or ${secretFile}); the receiver never accepts unsigned deliveries`,
    );
  }
  if (problems.length > 0 || secret === undefined) throw new ConfigError(problems);
  return { secret, ...(apiKey !== undefined ? { apiKey } : {}) };
}

/** A door's input/output state as FlexyKey reported it (`control.statusChanged`). */
export interface DoorEvent {
  event: string;
  unitId: number;
  serialNumber?: string | undefined;
  statusTimestampIso?: string | undefined;
  rawStatus?: string | undefined;
  inputs: unknown[];
  fOutputs: unknown[];
  xOutputs: unknown[];
  xInputs: unknown[];
  xInputsStatusTimestampIso?: string | undefined;
  /** FlexyKey could only repeat the last state it heard (the unit is offline). */
  isCached?: boolean | undefined;
  /** A delivery of `POST /Webhooks/Test` (`X-Webhook-Test: 1`). */
  isTest: boolean;
  /** When flexysync received it (ISO 8601); order by `statusTimestampIso` instead (vendor advice). */
  receivedAt: string;
  /** The delivered JSON exactly as signed, unknown fields included. */
  status: string;
}

/** A door event as read back from the stream. */
export interface StoredDoorEvent extends DoorEvent {
  id: string;
}

export interface DoorEventStreamOptions {
  redis: Redis;
  /** Redis key prefix. @default 'flexysync' (the stream is then `flexysync:door-events`) */
  prefix?: string;
  /** Approximate cap on the stream's length (XADD MAXLEN ~). @default 10_000 */
  maxLength?: number;
}

/**
 * The `<prefix>:door-events` Redis stream: one entry per `control.statusChanged` delivery. Kept apart
 * from the `<prefix>:events` outcome stream, whose readers expect booking states. Flat string fields,
 * the IO lists as JSON, so any language can read it with XREAD.
 */
export function createDoorEventStream(options: DoorEventStreamOptions) {
  const key = `${options.prefix ?? 'flexysync'}:door-events`;
  const maxLength = options.maxLength ?? 10_000;
  return {
    key,
    async publish(event: DoorEvent): Promise<string> {
      const fields: string[] = ['event', event.event, 'unitId', String(event.unitId)];
      const optional = {
        serialNumber: event.serialNumber,
        statusTimestampIso: event.statusTimestampIso,
        rawStatus: event.rawStatus,
        xInputsStatusTimestampIso: event.xInputsStatusTimestampIso,
      };
      for (const [name, value] of Object.entries(optional)) if (value !== undefined) fields.push(name, value);
      fields.push(
        'inputs',
        JSON.stringify(event.inputs),
        'fOutputs',
        JSON.stringify(event.fOutputs),
        'xOutputs',
        JSON.stringify(event.xOutputs),
        'xInputs',
        JSON.stringify(event.xInputs),
      );
      if (event.isCached !== undefined) fields.push('isCached', event.isCached ? '1' : '0');
      fields.push('isTest', event.isTest ? '1' : '0', 'receivedAt', event.receivedAt, 'status', event.status);
      const id = await options.redis.xadd(key, 'MAXLEN', '~', String(maxLength), '*', ...fields);
      if (id === null) throw new Error(`XADD to ${key} returned no id`);
      return id;
    },
    /** Entries after `cursor` (exclusive), oldest first. */
    async read(cursor = '-', count = 1000): Promise<StoredDoorEvent[]> {
      const start = cursor === '-' ? '-' : `(${cursor}`;
      const entries = await options.redis.xrange(key, start, '+', 'COUNT', count);
      return entries.map(([id, flat]) => ({ id, ...decodeDoorEvent(flat) }));
    },
  };
}

export type DoorEventStream = ReturnType<typeof createDoorEventStream>;

function decodeDoorEvent(flat: string[]): DoorEvent {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  const list = (text: string | undefined) => (text === undefined ? [] : (JSON.parse(text) as unknown[]));
  return {
    event: record.event ?? STATUS_CHANGED_EVENT,
    unitId: Number(record.unitId),
    ...(record.serialNumber !== undefined ? { serialNumber: record.serialNumber } : {}),
    ...(record.statusTimestampIso !== undefined ? { statusTimestampIso: record.statusTimestampIso } : {}),
    ...(record.rawStatus !== undefined ? { rawStatus: record.rawStatus } : {}),
    inputs: list(record.inputs),
    fOutputs: list(record.fOutputs),
    xOutputs: list(record.xOutputs),
    xInputs: list(record.xInputs),
    ...(record.xInputsStatusTimestampIso !== undefined
      ? { xInputsStatusTimestampIso: record.xInputsStatusTimestampIso }
      : {}),
    ...(record.isCached !== undefined ? { isCached: record.isCached === '1' } : {}),
    isTest: record.isTest === '1',
    receivedAt: record.receivedAt ?? '',
    status: record.status ?? '',
  };
}

export interface WebhookRoutesDeps {
  secrets: WebhookSecrets;
  /** Where door events go, e.g. `createDoorEventStream(...).publish`. */
  publish: (event: DoorEvent) => Promise<unknown>;
  logger: Logger;
  /** Largest delivery accepted (a Control status object is a few KiB). @default 65_536 */
  bodyLimitBytes?: number;
  /** How long publishing may take before the delivery is answered 503 (FlexyKey may retry). @default 2_000 */
  publishTimeoutMs?: number;
  /** Counts deliveries by result (`createMetrics(...).observeWebhook`). */
  metrics?: { observeWebhook(result: string): void };
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * FLEXYKEY: `X-Signature` is the lowercase hex HMAC-SHA256 of the raw body (the guide does not show
 * the encoding; our working assumption). Upper-case hex and a `sha256=` prefix are accepted too.
 */
const SIGNATURE_PATTERN = /^(?:sha256=)?([0-9a-f]{64})$/i;

const REALM = 'Signature realm="flexysync"';

/**
 * The receiver of FlexyKey's `control.statusChanged` webhook at `POST /v1/webhooks/flexykey` (PUT and
 * PATCH too: the webhook's `httpMethod` may be any of them). Authenticated before anything is
 * processed: `X-Api-Key` (when configured) and a well-formed `X-Signature` before the body is read,
 * then the HMAC of the raw bytes compared in constant time. A verified delivery is published as a
 * door event and answered 204 at once; anything else is 401 and nothing is published.
 */
export function webhookRoutes(deps: WebhookRoutesDeps): HttpRoutes {
  const { secrets, logger } = deps;
  const bodyLimit = deps.bodyLimitBytes ?? 65_536;
  const publishTimeoutMs = deps.publishTimeoutMs ?? 2_000;
  const now = deps.now ?? (() => new Date());
  const observe = (result: string) => deps.metrics?.observeWebhook(result);
  const signatures = new WeakMap<FastifyRequest, Buffer>();

  function refuse(request: FastifyRequest, reason: string): HttpError {
    observe('unauthorized');
    // The reason and the sender's address only: never a header value, the body or the secret.
    logger.warn({ reqId: request.id, ip: request.ip, reason }, 'webhook delivery refused');
    return new HttpError(401, 'unauthorized', reason, {}, { 'WWW-Authenticate': REALM });
  }

  return (app: FastifyInstance) => {
    // The signature covers the raw bytes: keep them as they came, whatever the Content-Type says.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
      done(null, body);
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      let answer: HttpError;
      if (error instanceof HttpError) answer = error;
      else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        observe('invalid');
        answer = new HttpError(
          413,
          'payload_too_large',
          `the delivery is larger than ${bodyLimit} bytes (webhooks.bodyLimitBytes)`,
        );
      } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        answer = new HttpError(error.statusCode, 'bad_request', error.message);
      } else {
        logger.error({ reqId: request.id, err: error.message }, 'webhook delivery failed');
        answer = new HttpError(500, 'internal', 'internal error; see the worker log');
      }
      for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
      return reply.code(answer.statusCode).send(answer.toBody());
    });

    // Before the body is read: a sender without the API key or any signature costs us no body.
    app.addHook('onRequest', async (request) => {
      if (secrets.apiKey !== undefined) {
        const given = headerValue(request.headers['x-api-key']);
        if (given === undefined || !constantTimeEqual(given, secrets.apiKey)) {
          throw refuse(request, 'X-Api-Key is missing or wrong');
        }
      }
      const match = SIGNATURE_PATTERN.exec(headerValue(request.headers['x-signature']) ?? '');
      if (!match?.[1]) throw refuse(request, 'X-Signature is missing or malformed');
      signatures.set(request, Buffer.from(match[1], 'hex'));
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const given = signatures.get(request);
      const expected = createHmac('sha256', secrets.secret).update(raw).digest();
      if (!given || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw refuse(request, 'X-Signature does not match the body');
      }

      const event = headerValue(request.headers['x-event']) ?? STATUS_CHANGED_EVENT;
      if (event !== STATUS_CHANGED_EVENT) {
        observe('ignored');
        logger.info(
          { reqId: request.id, event: event.slice(0, 100) },
          'webhook event ignored (not supported)',
        );
        return reply.code(204).send();
      }
      const door = toDoorEvent(request, raw, now());
      try {
        await withTimeout(deps.publish(door), publishTimeoutMs);
      } catch (error) {
        observe('unavailable');
        logger.warn(
          { reqId: request.id, err: (error as Error).message },
          'door event could not be published',
        );
        throw new HttpError(
          503,
          'unavailable',
          'the door event could not be stored: deliver it again later',
          {},
          { 'Retry-After': '5' },
        );
      }
      observe('published');
      logger.debug({ reqId: request.id, unitId: door.unitId, isTest: door.isTest }, 'door event published');
      return reply.code(204).send();
    };
    app.route({ method: ['POST', 'PUT', 'PATCH'], url: FLEXYKEY_WEBHOOK_PATH, handler });
  };

  /** The verified delivery as a door event; lenient (the payload is the GET /Control object). */
  function toDoorEvent(request: FastifyRequest, raw: Buffer, receivedAt: Date): DoorEvent {
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      observe('invalid');
      throw new HttpError(400, 'malformed_json', 'the delivery is not valid JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      observe('invalid');
      throw new HttpError(400, 'bad_request', 'the delivery must be a JSON object (the Control status)');
    }
    const status = body as Record<string, unknown>;
    // The body is signed, the X-UnitId header is not: the body wins, and a disagreement is refused.
    const fromBody = positiveInt(status.unitId);
    const fromHeader = positiveInt(headerValue(request.headers['x-unitid']));
    if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
      observe('invalid');
      throw new HttpError(400, 'bad_request', 'X-UnitId does not match the unitId of the body');
    }
    const unitId = fromBody ?? fromHeader;
    if (unitId === undefined) {
      observe('invalid');
      throw new HttpError(400, 'bad_request', 'the delivery names no unit (unitId)');
    }
    const isCached = typeof status.isCached === 'boolean' ? status.isCached : undefined;
    return {
      event: STATUS_CHANGED_EVENT,
      unitId,
      serialNumber: stringOrUndefined(status.serialNumber),
      statusTimestampIso: stringOrUndefined(status.statusTimestampIso),
      rawStatus: stringOrUndefined(status.rawStatus),
      inputs: listOrEmpty(status.inputs),
      fOutputs: listOrEmpty(status.fOutputs),
      xOutputs: listOrEmpty(status.xOutputs),
      xInputs: listOrEmpty(status.xInputs),
      xInputsStatusTimestampIso: stringOrUndefined(status.xInputsStatusTimestampIso),
      ...(isCached !== undefined ? { isCached } : {}),
      isTest: headerValue(request.headers['x-webhook-test']) === '1',
      receivedAt: receivedAt.toISOString(),
      status: text,
    };
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function positiveInt(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number > 0 ? number : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function listOrEmpty(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`publishing took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
