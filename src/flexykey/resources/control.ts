import {
  type ControlResult,
  type ControlStatus,
  controlResultSchema,
  controlStatusSchema,
  type GetControlQuery,
  getControlQuerySchema,
  type SendControlInput,
  sendControlRequestSchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** Switching a unit's outputs and reading its IO state. */
export class ControlResource {
  constructor(private readonly transport: Transport) {}

  /**
   * `POST /Control` — switch an output `ON`/`OFF` or pulse it for N seconds. Not idempotent (a pulse
   * replayed is a second pulse): never retried once it may have reached the server.
   */
  async send(input: SendControlInput): Promise<ControlResult> {
    const body = validateRequest(sendControlRequestSchema, input, 'POST', '/Control');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/Control',
      body,
      response: controlResultSchema,
    });
    return data;
  }

  /** `GET /Control?unitId=…` or `?serialNumber=…` — current IO state (also the webhook payload shape). */
  async get(query: GetControlQuery): Promise<ControlStatus> {
    const q = validateRequest(getControlQuerySchema, query, 'GET', '/Control');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/Control',
      query: q,
      response: controlStatusSchema,
    });
    return data;
  }
}
