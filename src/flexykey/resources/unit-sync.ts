import {
  type AbortSyncInput,
  type AbortSyncResult,
  abortSyncRequestSchema,
  abortSyncResultSchema,
  type PushChangesInput,
  type PushChangesResult,
  pushChangesRequestSchema,
  pushChangesResultSchema,
  type SyncStatus,
  type SyncStatusQuery,
  syncStatusQuerySchema,
  syncStatusSchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** Sending changed entries and settings from the server to the physical unit. */
export class UnitSyncResource {
  constructor(private readonly transport: Transport) {}

  /**
   * `POST /UnitSync/PushChanges` — package the unit's changes and queue them; returns at once. Not
   * idempotent: never replayed after it may have reached the server (read `status` instead).
   */
  async pushChanges(input: PushChangesInput): Promise<PushChangesResult> {
    const body = validateRequest(pushChangesRequestSchema, input, 'POST', '/UnitSync/PushChanges');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/UnitSync/PushChanges',
      body,
      response: pushChangesResultSchema,
    });
    return data;
  }

  /**
   * `GET /UnitSync/Status?unitId=` — progress of the current or last sync. The server caches it for
   * about 2 s, so a read right after a push can still show the previous sync's outcome.
   */
  async status(query: SyncStatusQuery): Promise<SyncStatus> {
    const q = validateRequest(syncStatusQuerySchema, query, 'GET', '/UnitSync/Status');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/UnitSync/Status',
      query: q,
      response: syncStatusSchema,
    });
    return data;
  }

  /**
   * `POST /UnitSync/Abort` — stop the active sync and clear pending packets. Idempotent (aborting twice
   * leaves the same state), so it is retried like a GET.
   */
  async abort(input: AbortSyncInput): Promise<AbortSyncResult> {
    const body = validateRequest(abortSyncRequestSchema, input, 'POST', '/UnitSync/Abort');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/UnitSync/Abort',
      body,
      idempotent: true,
      response: abortSyncResultSchema,
    });
    return data;
  }
}
