import {
  type AllUnitDataSyncStateInput,
  allUnitDataSyncStateRequestSchema,
  type IdEntriesSyncStateInput,
  idEntriesSyncStateRequestSchema,
  type ToolsResult,
  toolsResultSchema,
  type UnitSettingsSyncStateInput,
  unitSettingsSyncStateRequestSchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/**
 * Server-side maintenance: set what the server considers synced or changed (e.g. after replacing a
 * unit). Never talks to the unit. Setting a state is idempotent, so these POSTs are retried.
 */
export class ToolsResource {
  constructor(private readonly transport: Transport) {}

  /** `POST /Tools/IdEntriesSyncState` — one entry (`id`) or all entries of the unit. */
  async idEntriesSyncState(input: IdEntriesSyncStateInput): Promise<ToolsResult> {
    const body = validateRequest(idEntriesSyncStateRequestSchema, input, 'POST', '/Tools/IdEntriesSyncState');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/Tools/IdEntriesSyncState',
      body,
      idempotent: true,
      response: toolsResultSchema,
    });
    return data;
  }

  /** `POST /Tools/UnitSettingsSyncState` — one setting (`setting` + `params`) or all settings. */
  async unitSettingsSyncState(input: UnitSettingsSyncStateInput): Promise<ToolsResult> {
    const body = validateRequest(
      unitSettingsSyncStateRequestSchema,
      input,
      'POST',
      '/Tools/UnitSettingsSyncState',
    );
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/Tools/UnitSettingsSyncState',
      body,
      idempotent: true,
      response: toolsResultSchema,
    });
    return data;
  }

  /** `POST /Tools/AllUnitDataSyncState` — entries and settings of the unit at once. */
  async allUnitDataSyncState(input: AllUnitDataSyncStateInput): Promise<ToolsResult> {
    const body = validateRequest(
      allUnitDataSyncStateRequestSchema,
      input,
      'POST',
      '/Tools/AllUnitDataSyncState',
    );
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/Tools/AllUnitDataSyncState',
      body,
      idempotent: true,
      response: toolsResultSchema,
    });
    return data;
  }
}
