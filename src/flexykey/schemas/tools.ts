import { z } from 'zod';
import { looseNumberSchema, positiveIntSchema, responseIdSchema, unitIdSchema } from './common';
import { settingParamsSchema, unitSettingNameSchema } from './unit-settings';

// ───────────── requests ─────────────

/** The server-side sync state the Tools endpoints can set. */
export const UNIT_SYNC_STATES = ['Synced', 'Changed'] as const;
export type UnitSyncStateValue = (typeof UNIT_SYNC_STATES)[number];

// FLEXYKEY: the guide names the field but not its values; we assume `Synced` and `Changed`.
export const unitSyncStateSchema = z.enum(UNIT_SYNC_STATES, {
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be Synced or Changed'),
});

/** `POST /Tools/IdEntriesSyncState` body: `id` affects one row; without it, every entry of the unit. */
export const idEntriesSyncStateRequestSchema = z.object({
  unitId: unitIdSchema,
  id: positiveIntSchema('must be a positive integer entry id').optional(),
  unitSyncState: unitSyncStateSchema,
});
export type IdEntriesSyncStateInput = z.input<typeof idEntriesSyncStateRequestSchema>;

/** `POST /Tools/UnitSettingsSyncState` body: `setting` (+ `params`) affects one; without, all settings. */
export const unitSettingsSyncStateRequestSchema = z
  .object({
    unitId: unitIdSchema,
    setting: unitSettingNameSchema.optional(),
    params: settingParamsSchema.nullish(),
    unitSyncState: unitSyncStateSchema,
  })
  .superRefine((value, ctx) => {
    if (value.params != null && value.setting === undefined) {
      ctx.addIssue({ code: 'custom', path: ['params'], message: 'may only be given together with setting' });
    }
  });
export type UnitSettingsSyncStateInput = z.input<typeof unitSettingsSyncStateRequestSchema>;

/** `POST /Tools/AllUnitDataSyncState` body: only `unitId` and `unitSyncState` (guide). */
export const allUnitDataSyncStateRequestSchema = z.object({
  unitId: unitIdSchema,
  unitSyncState: unitSyncStateSchema,
});
export type AllUnitDataSyncStateInput = z.input<typeof allUnitDataSyncStateRequestSchema>;

// ───────────── responses ─────────────

/** FLEXYKEY: every Tools endpoint answers `{ unitId, affected }`. */
export const toolsResultSchema = z.looseObject({
  unitId: responseIdSchema.nullish(),
  affected: looseNumberSchema.nullish(),
});
export type ToolsResult = z.output<typeof toolsResultSchema>;
