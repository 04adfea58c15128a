import {
  type ListUnitSettingsQuery,
  listUnitSettingsQuerySchema,
  type PutUnitSettingInput,
  putUnitSettingRequestSchema,
  type UnitSetting,
  type UnitSettingDefinition,
  unitSettingDefinitionListSchema,
  unitSettingListSchema,
  unitSettingSchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** Approved public settings; changes reach the unit only after `unitSync.pushChanges`. */
export class UnitSettingsResource {
  constructor(private readonly transport: Transport) {}

  /** `GET /UnitSettings/Definitions` — the approved settings and their input rules. */
  async definitions(): Promise<UnitSettingDefinition[]> {
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/UnitSettings/Definitions',
      response: unitSettingDefinitionListSchema,
    });
    return data;
  }

  /** `GET /UnitSettings?unitId=` — the settings rows that exist for the unit. */
  async list(query: ListUnitSettingsQuery): Promise<UnitSetting[]> {
    const q = validateRequest(listUnitSettingsQuerySchema, query, 'GET', '/UnitSettings');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/UnitSettings',
      query: q,
      response: unitSettingListSchema,
    });
    return data;
  }

  /** `PUT /UnitSettings` — create or update one approved setting (others are refused before sending). */
  async put(input: PutUnitSettingInput): Promise<UnitSetting> {
    const body = validateRequest(putUnitSettingRequestSchema, input, 'PUT', '/UnitSettings');
    const { data } = await this.transport.request({
      method: 'PUT',
      path: '/UnitSettings',
      body,
      response: unitSettingSchema,
    });
    return data;
  }
}
