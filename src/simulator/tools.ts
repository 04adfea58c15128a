import { z } from 'zod';
import { fieldProblem, notFound } from './problem';
import { parseBody } from './validation';
import { type SimUnit, type SimUser, settingKey, type World } from './world';

// FLEXYKEY: Tools only change what the server considers synchronised; they never talk to the unit,
// so device memory is untouched. Rows pending deletion are left alone (Synced would resurrect them).
const syncStateSchema = z.enum(['Synced', 'Changed'], { error: 'must be Synced or Changed' });

const idEntriesBody = z.object({
  unitId: z.int().positive(),
  id: z.int().positive().nullable().optional(),
  unitSyncState: syncStateSchema,
});

const settingsBody = z.object({
  unitId: z.int().positive(),
  setting: z.string().min(1).nullable().optional(),
  params: z
    .union([z.string(), z.number().transform(String)])
    .nullable()
    .optional(),
  unitSyncState: syncStateSchema,
});

const allBody = z.object({ unitId: z.int().positive(), unitSyncState: syncStateSchema });

export interface ToolResult {
  unitId: number;
  affected: number;
}

function markEntries(unit: SimUnit, state: 'Synced' | 'Changed', onlyId?: number): number {
  let affected = 0;
  const rows = onlyId === undefined ? unit.entries.values() : [unit.entries.get(onlyId)];
  for (const row of rows) {
    if (!row || row.syncState === 'PendingDelete' || row.syncState === state) continue;
    row.syncState = state;
    // A packet already snapshotted must not settle a row someone asked to resend.
    if (state === 'Changed') row.version += 1;
    affected += 1;
  }
  return affected;
}

function markSettings(unit: SimUnit, state: 'Synced' | 'Changed', onlyKey?: string): number {
  let affected = 0;
  const rows = onlyKey === undefined ? unit.settings.values() : [unit.settings.get(onlyKey)];
  for (const row of rows) {
    if (!row || row.syncState === state) continue;
    row.syncState = state;
    if (state === 'Changed') row.version += 1;
    affected += 1;
  }
  return affected;
}

/** POST /Tools/IdEntriesSyncState — one row (`id`) or all rows of the unit. */
export function idEntriesSyncState(world: World, user: SimUser, rawBody: unknown): ToolResult {
  const body = parseBody(idEntriesBody, rawBody);
  const unit = world.requireUnit(user, body.unitId);
  if (body.id != null && !unit.entries.has(body.id)) {
    throw notFound(`ID entry ${body.id} not found on unit ${unit.unitId}`);
  }
  return { unitId: unit.unitId, affected: markEntries(unit, body.unitSyncState, body.id ?? undefined) };
}

/** POST /Tools/UnitSettingsSyncState — one setting (`setting` + `params`) or all of the unit. */
export function unitSettingsSyncState(world: World, user: SimUser, rawBody: unknown): ToolResult {
  const body = parseBody(settingsBody, rawBody);
  const unit = world.requireUnit(user, body.unitId);
  if (body.setting == null) {
    if (body.params != null && body.params !== '')
      throw fieldProblem('setting', 'is required when params is given');
    return { unitId: unit.unitId, affected: markSettings(unit, body.unitSyncState) };
  }
  const key = settingKey(body.setting, body.params ?? '');
  if (!unit.settings.has(key)) {
    throw notFound(
      `Setting ${body.setting} (params '${body.params ?? ''}') not found on unit ${unit.unitId}`,
    );
  }
  return { unitId: unit.unitId, affected: markSettings(unit, body.unitSyncState, key) };
}

/** POST /Tools/AllUnitDataSyncState — entries and settings together. */
export function allUnitDataSyncState(world: World, user: SimUser, rawBody: unknown): ToolResult {
  const body = parseBody(allBody, rawBody);
  const unit = world.requireUnit(user, body.unitId);
  const affected = markEntries(unit, body.unitSyncState) + markSettings(unit, body.unitSyncState);
  return { unitId: unit.unitId, affected };
}
