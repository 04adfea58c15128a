import { z } from 'zod';
import {
  listSchema,
  looseNumberSchema,
  looseStringSchema,
  openEnumSchema,
  responseIdSchema,
  unitIdSchema,
} from './common';

// ───────────── requests ─────────────

/** The approved public settings (guide). Anything else answers 400, so we refuse it before sending. */
export const UNIT_SETTING_NAMES = ['DefaultRelayPulse', 'WifiMode', 'WifiName', 'WifiPassword'] as const;
export type UnitSettingName = (typeof UNIT_SETTING_NAMES)[number];

export const unitSettingNameSchema = z.enum(UNIT_SETTING_NAMES, {
  error: (issue) =>
    issue.input === undefined ? 'is required' : `must be one of ${UNIT_SETTING_NAMES.join(', ')}`,
});

// FLEXYKEY: `params` qualifies a setting (the guide names settings by "setting plus params"); its type
// is not documented, we assume a string or number, or null for none.
export const settingParamsSchema = z.union([z.string(), z.number()], {
  error: 'must be a string or a number',
});

/** `GET /UnitSettings` query. */
export const listUnitSettingsQuerySchema = z.object({ unitId: unitIdSchema });
export type ListUnitSettingsQuery = z.input<typeof listUnitSettingsQuerySchema>;

/** `PUT /UnitSettings` body: one setting at a time (guide). FLEXYKEY: `{ unitId, setting, params, value }`. */
export const putUnitSettingRequestSchema = z.object({
  unitId: unitIdSchema,
  setting: unitSettingNameSchema,
  params: settingParamsSchema.nullish(),
  value: z.union([z.string(), z.number()], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string or a number'),
  }),
});
export type PutUnitSettingInput = z.input<typeof putUnitSettingRequestSchema>;

// ───────────── responses ─────────────

/** FLEXYKEY: definition `{ setting, description, valueType, min, max, maxLength, allowed }`. */
export const unitSettingDefinitionSchema = z.looseObject({
  setting: looseStringSchema,
  description: z.string().nullish(),
  valueType: z.string().nullish(),
  min: looseNumberSchema.nullish(),
  max: looseNumberSchema.nullish(),
  maxLength: looseNumberSchema.nullish(),
  allowed: z.array(z.union([z.string(), z.number()])).nullish(),
});
export type UnitSettingDefinition = z.output<typeof unitSettingDefinitionSchema>;
/** FLEXYKEY: `GET /UnitSettings/Definitions` answers a bare array (an `{ items }` envelope is accepted too). */
export const unitSettingDefinitionListSchema = listSchema(unitSettingDefinitionSchema);

/** FLEXYKEY: a settings row `{ unitId, setting, params, value, syncState }`. */
export const unitSettingSchema = z.looseObject({
  unitId: responseIdSchema.nullish(),
  setting: looseStringSchema,
  params: z.union([z.string(), z.number()]).nullish(),
  value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
  syncState: openEnumSchema<'Synced' | 'Changed'>().nullish(),
});
export type UnitSetting = z.output<typeof unitSettingSchema>;
/** FLEXYKEY: `GET /UnitSettings` answers a bare array (an `{ items }` envelope is accepted too). */
export const unitSettingListSchema = listSchema(unitSettingSchema);
