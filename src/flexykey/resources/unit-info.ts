import {
  type RequestUnitInfoInput,
  type RequestUnitInfoResult,
  requestUnitInfoRequestSchema,
  requestUnitInfoResultSchema,
  type UnitInfoTypes,
  type UnitMessage,
  type UnitMessagesQuery,
  unitInfoTypesSchema,
  unitMessageListSchema,
  unitMessagesQuerySchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** Asynchronous CHECK commands: discover the catalog, queue a command, read the answers later. */
export class UnitInfoResource {
  constructor(private readonly transport: Transport) {}

  /** `GET /RequestUnitInfoTypes` — approved command types and profiles (visible and enabled ones only). */
  async types(): Promise<UnitInfoTypes> {
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/RequestUnitInfoTypes',
      response: unitInfoTypesSchema,
    });
    return data;
  }

  /**
   * `POST /RequestUnitInfo` — queue one command (`typeName`) or one profile. Success means queued, not
   * answered; each result says Queued, Cached or RateLimited. Not idempotent: never replayed blindly.
   */
  async request(input: RequestUnitInfoInput): Promise<RequestUnitInfoResult> {
    const body = validateRequest(requestUnitInfoRequestSchema, input, 'POST', '/RequestUnitInfo');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/RequestUnitInfo',
      body,
      response: requestUnitInfoResultSchema,
    });
    return data;
  }

  /** `GET /UnitMessages` — latest approved answers, newest first (server default 20, `limit` ≤ 100). */
  async messages(query: UnitMessagesQuery): Promise<UnitMessage[]> {
    const q = validateRequest(unitMessagesQuerySchema, query, 'GET', '/UnitMessages');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/UnitMessages',
      query: q,
      response: unitMessageListSchema,
    });
    return data;
  }
}
