import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { z } from 'zod';
import { controlStatus } from './io-status';
import { fieldProblem, notFound } from './problem';
import { toIsoMs } from './time';
import { parseBody, type Query, queryString, requireQueryInt } from './validation';
import type { SimUnit, SimUser, WebhookConfig, WebhookDelivery, World } from './world';

export const STATUS_CHANGED_EVENT = 'control.statusChanged';

// FLEXYKEY: "Currently supported event: control.statusChanged".
export const WEBHOOK_EVENTS = [
  {
    event: STATUS_CHANGED_EVENT,
    description: 'An ASTAT status message (input/output state) was received from the unit',
  },
] as const;

const SUPPORTED = new Set<string>(WEBHOOK_EVENTS.map((e) => e.event));
const DELIVERY_TIMEOUT_MS = 5_000;

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const webhookBodySchema = z.object({
  unitId: z.int().positive(),
  event: z.string(),
  callbackUrl: z
    .string()
    .max(2000, 'must be at most 2000 characters')
    .refine(isAbsoluteHttpUrl, 'must be an absolute http or https URL'),
  httpMethod: z.enum(['POST', 'PUT', 'PATCH'], { error: 'must be POST, PUT or PATCH' }).nullable().optional(),
  secret: z.string().max(256, 'must be at most 256 characters').nullable().optional(),
  apiKey: z.string().max(256, 'must be at most 256 characters').nullable().optional(),
  isActive: z
    .union([z.literal(0), z.literal(1)], { error: 'must be 1 or 0' })
    .nullable()
    .optional(),
});

const testBodySchema = z.object({ unitId: z.int().positive(), event: z.string() });

export interface WebhookApiRow {
  unitId: number;
  event: string;
  callbackUrl: string;
  httpMethod: string;
  hasSecret: boolean;
  hasApiKey: boolean;
  isActive: 0 | 1;
}

function toApi(config: WebhookConfig): WebhookApiRow {
  return {
    unitId: config.unitId,
    event: config.event,
    callbackUrl: config.callbackUrl,
    httpMethod: config.httpMethod,
    hasSecret: config.secret !== null,
    hasApiKey: config.apiKey !== null,
    isActive: config.isActive,
  };
}

function requireEvent(event: string): void {
  if (!SUPPORTED.has(event)) throw fieldProblem('event', `'${event}' is not a supported event`);
}

/**
 * PUT /Webhooks — upsert per unitId + event; the body replaces the whole configuration (an absent
 * secret or apiKey removes it). Returns `created` for the 201/200 choice.
 */
export function putWebhook(
  world: World,
  user: SimUser,
  rawBody: unknown,
): { created: boolean; row: WebhookApiRow } {
  const body = parseBody(webhookBodySchema, rawBody);
  requireEvent(body.event);
  const unit = world.requireUnit(user, body.unitId);
  const created = !unit.webhooks.has(body.event);
  const config: WebhookConfig = {
    unitId: unit.unitId,
    event: body.event,
    callbackUrl: body.callbackUrl,
    httpMethod: body.httpMethod ?? 'POST',
    secret: body.secret ? body.secret : null,
    apiKey: body.apiKey ? body.apiKey : null,
    isActive: body.isActive ?? 1,
  };
  unit.webhooks.set(body.event, config);
  return { created, row: toApi(config) };
}

/** GET /Webhooks?unitId[&event] → array (empty when none). */
export function listWebhooks(world: World, user: SimUser, query: Query): WebhookApiRow[] {
  const unit = world.requireUnit(user, requireQueryInt(query, 'unitId', { min: 1 }));
  const event = queryString(query, 'event');
  if (event === undefined) return [...unit.webhooks.values()].map(toApi);
  requireEvent(event);
  const config = unit.webhooks.get(event);
  return config ? [toApi(config)] : [];
}

/** DELETE /Webhooks?unitId&event → 204, or 404 when none is configured. */
export function deleteWebhook(world: World, user: SimUser, query: Query): void {
  const unit = world.requireUnit(user, requireQueryInt(query, 'unitId', { min: 1 }));
  const event = queryString(query, 'event');
  if (event === undefined) throw fieldProblem('event', 'is required');
  requireEvent(event);
  if (!unit.webhooks.delete(event)) throw notFound(`No webhook for unit ${unit.unitId} and event ${event}`);
}

/** POST /Webhooks/Test — delivers the current status now (even when inactive) and reports the outcome. */
export async function testWebhook(world: World, user: SimUser, rawBody: unknown) {
  const body = parseBody(testBodySchema, rawBody);
  requireEvent(body.event);
  const unit = world.requireUnit(user, body.unitId);
  const config = unit.webhooks.get(body.event);
  if (!config) throw notFound(`No webhook for unit ${unit.unitId} and event ${body.event}`);
  const delivery = await deliver(world, config, controlStatus(unit), true);
  return {
    delivered: delivery.delivered,
    statusCode: delivery.statusCode,
    elapsedMs: delivery.elapsedMs,
    error: delivery.error,
  };
}

/** Fire-and-forget delivery of `control.statusChanged` when an active webhook exists. */
export function notifyStatusChanged(world: World, unit: SimUnit): void {
  const config = unit.webhooks.get(STATUS_CHANGED_EVENT);
  if (config?.isActive !== 1) return;
  void deliver(world, config, controlStatus(unit), false);
}

/** Signs the exact body bytes: lowercase hex HMAC-SHA256 with the configured secret. */
export function signBody(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

async function deliver(
  world: World,
  config: WebhookConfig,
  payload: unknown,
  test: boolean,
): Promise<WebhookDelivery> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Event': config.event,
    'X-UnitId': String(config.unitId),
  };
  if (test) headers['X-Webhook-Test'] = '1';
  if (config.apiKey) headers['X-Api-Key'] = config.apiKey;
  if (config.secret) headers['X-Signature'] = signBody(config.secret, body);
  const startedMs = Date.now();
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const response = await request(config.callbackUrl, {
      method: config.httpMethod,
      headers,
      body,
      dispatcher: world.config.dispatcher,
      headersTimeout: DELIVERY_TIMEOUT_MS,
      bodyTimeout: DELIVERY_TIMEOUT_MS,
    });
    statusCode = response.statusCode;
    await response.body.dump();
  } catch (err) {
    error = (err as Error).message || String(err);
  }
  const recordedHeaders = { ...headers };
  if (recordedHeaders['X-Api-Key']) recordedHeaders['X-Api-Key'] = '[redacted]';
  return world.recordDelivery({
    unitId: config.unitId,
    event: config.event,
    test,
    callbackUrl: config.callbackUrl,
    httpMethod: config.httpMethod,
    atIso: toIsoMs(startedMs),
    delivered: statusCode !== null && statusCode >= 200 && statusCode < 300,
    statusCode,
    error,
    elapsedMs: Math.round(performance.now() - started),
    headers: recordedHeaders,
    body,
  });
}
