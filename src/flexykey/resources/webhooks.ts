import { FlexyKeyNotFoundError } from '../errors';
import {
  type GetWebhooksQuery,
  getWebhooksQuerySchema,
  type PutWebhookInput,
  putWebhookRequestSchema,
  type WebhookConfig,
  type WebhookKey,
  type WebhookTestResult,
  webhookConfigListSchema,
  webhookConfigSchema,
  webhookEventListSchema,
  webhookKeySchema,
  webhookTestResultSchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** Result of an upsert: the row, and whether it was created (201) rather than updated (200). */
export interface PutWebhookResult {
  created: boolean;
  webhook: WebhookConfig;
}

/** HTTP callbacks per unit and event (`control.statusChanged`). */
export class WebhooksResource {
  constructor(private readonly transport: Transport) {}

  /** `GET /Webhooks/Events` — the supported event names. */
  async events(): Promise<string[]> {
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/Webhooks/Events',
      response: webhookEventListSchema,
    });
    return data;
  }

  /** `PUT /Webhooks` — create (201) or update (200) the webhook of `unitId` + `event`. */
  async put(input: PutWebhookInput): Promise<PutWebhookResult> {
    const body = validateRequest(putWebhookRequestSchema, input, 'PUT', '/Webhooks');
    const { status, data } = await this.transport.request({
      method: 'PUT',
      path: '/Webhooks',
      body,
      response: webhookConfigSchema,
    });
    return { created: status === 201, webhook: data };
  }

  /** `GET /Webhooks?unitId[&event]` — the unit's webhooks (at most one when `event` is given). */
  async list(query: GetWebhooksQuery): Promise<WebhookConfig[]> {
    const q = validateRequest(getWebhooksQuerySchema, query, 'GET', '/Webhooks');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/Webhooks',
      query: q,
      response: webhookConfigListSchema,
    });
    return data;
  }

  /** `GET /Webhooks?unitId&event` — one webhook, or null when none is configured (empty answer or 404). */
  async get(key: WebhookKey): Promise<WebhookConfig | null> {
    const q = validateRequest(webhookKeySchema, key, 'GET', '/Webhooks');
    try {
      const { data } = await this.transport.request({
        method: 'GET',
        path: '/Webhooks',
        query: q,
        response: webhookConfigListSchema,
      });
      return data.find((webhook) => webhook.event === q.event) ?? null;
    } catch (error) {
      if (error instanceof FlexyKeyNotFoundError) return null;
      throw error;
    }
  }

  /** `DELETE /Webhooks?unitId&event` — remove a webhook (204). */
  async delete(key: WebhookKey): Promise<void> {
    const q = validateRequest(webhookKeySchema, key, 'DELETE', '/Webhooks');
    await this.transport.request({ method: 'DELETE', path: '/Webhooks', query: q });
  }

  /**
   * `POST /Webhooks/Test` — the server calls the configured endpoint once, with header
   * `X-Webhook-Test: 1`. Not idempotent (each call delivers once more), so never replayed blindly.
   */
  async test(key: WebhookKey): Promise<WebhookTestResult> {
    const body = validateRequest(webhookKeySchema, key, 'POST', '/Webhooks/Test');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/Webhooks/Test',
      body,
      response: webhookTestResultSchema,
    });
    return data;
  }
}
