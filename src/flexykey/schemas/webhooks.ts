import { z } from 'zod';
import {
  anyObjectSchema,
  looseBooleanSchema,
  looseStringSchema,
  nonEmptyStringSchema,
  responseIdSchema,
  unitIdSchema,
} from './common';

// ───────────── requests ─────────────

/** The one event the guide documents. */
export type WebhookEvent = 'control.statusChanged' | (string & {});

const eventSchema = nonEmptyStringSchema('must be an event name such as control.statusChanged');

const httpUrlRule = 'must be an absolute http(s) URL';
/** An absolute `http:` or `https:` URL (guide: `callbackUrl` "absolute HTTP/HTTPS URL"). */
export const callbackUrlSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : httpUrlRule) })
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: httpUrlRule },
  );

/** `PUT /Webhooks` body: upsert per `unitId` + `event` (guide). */
export const putWebhookRequestSchema = z.object({
  unitId: unitIdSchema,
  event: eventSchema,
  callbackUrl: callbackUrlSchema,
  httpMethod: z.enum(['POST', 'PUT', 'PATCH'], { error: 'must be POST, PUT or PATCH' }).optional(),
  secret: z.string({ error: 'must be a string' }).optional(),
  apiKey: z.string({ error: 'must be a string' }).optional(),
  isActive: z.literal([0, 1], { error: 'must be 1 or 0' }).optional(),
});
export type PutWebhookInput = Omit<z.input<typeof putWebhookRequestSchema>, 'event'> & {
  event: WebhookEvent;
};

/** `GET /Webhooks` query: `unitId`, optionally one `event`. */
export const getWebhooksQuerySchema = z.object({ unitId: unitIdSchema, event: eventSchema.optional() });
export type GetWebhooksQuery = Omit<z.input<typeof getWebhooksQuerySchema>, 'event'> & {
  event?: WebhookEvent;
};

/** `DELETE /Webhooks` query and `POST /Webhooks/Test` body: `unitId` and `event`, both required. */
export const webhookKeySchema = z.object({ unitId: unitIdSchema, event: eventSchema });
export type WebhookKey = { unitId: number; event: WebhookEvent };

// ───────────── responses ─────────────

/**
 * FLEXYKEY: a configuration row `{ unitId, event, callbackUrl, httpMethod, hasSecret, hasApiKey,
 * isActive }`; `isActive` 1/0 is read as a boolean. Secrets are not expected back.
 */
export const webhookConfigSchema = z.looseObject({
  unitId: responseIdSchema,
  event: looseStringSchema,
  callbackUrl: z.string().nullish(),
  httpMethod: z.string().nullish(),
  hasSecret: looseBooleanSchema.nullish(),
  hasApiKey: looseBooleanSchema.nullish(),
  isActive: looseBooleanSchema.nullish(),
});
export type WebhookConfig = z.output<typeof webhookConfigSchema>;

/**
 * FLEXYKEY: `GET /Webhooks` answers an array; a single object (plausible when `event` is given), an
 * `{ items }` envelope and an empty body are accepted too and read as a list.
 */
export const webhookConfigListSchema = z.preprocess((input) => {
  if (input === undefined || input === null || input === '') return [];
  if (Array.isArray(input)) return input;
  if (typeof input === 'object' && Array.isArray((input as { items?: unknown }).items)) {
    return (input as { items: unknown[] }).items;
  }
  return [input];
}, z.array(webhookConfigSchema));

/**
 * FLEXYKEY: `GET /Webhooks/Events` answers an array of event names; `[{ event }]` items and an
 * `{ events }` / `{ items }` envelope are accepted too. Normalised to `string[]`.
 */
export const webhookEventListSchema = z.preprocess(
  (input) => {
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
      const record = input as { events?: unknown; items?: unknown };
      return record.events ?? record.items ?? input;
    }
    return input;
  },
  z.array(
    z.union([z.string(), z.looseObject({ event: z.string() }).transform((item) => item.event)], {
      error: 'must be an event name or { event }',
    }),
  ),
);

/** FLEXYKEY: the `POST /Webhooks/Test` answer is not documented; any JSON object is accepted. */
export const webhookTestResultSchema = z.preprocess((input) => input ?? {}, anyObjectSchema);
export type WebhookTestResult = z.output<typeof webhookTestResultSchema>;
