import { z } from 'zod';
import {
  exactlyOneUnitRef,
  looseBooleanSchema,
  looseNumberSchema,
  openEnumSchema,
  responseIdSchema,
  type UnitRef,
  unitIdSchema,
  unitRefShape,
} from './common';

// ───────────── requests ─────────────

/** FLEXYKEY: `POST /UnitSync/PushChanges` body `{ unitId }` or `{ serialNumber }`. */
export const pushChangesRequestSchema = z.object(unitRefShape).superRefine(exactlyOneUnitRef);
export type PushChangesInput = UnitRef;

/** FLEXYKEY: `GET /UnitSync/Status?unitId=`. */
export const syncStatusQuerySchema = z.object({ unitId: unitIdSchema });
export type SyncStatusQuery = z.input<typeof syncStatusQuerySchema>;

/** FLEXYKEY: `POST /UnitSync/Abort` body `{ unitId }`. */
export const abortSyncRequestSchema = z.object({ unitId: unitIdSchema });
export type AbortSyncInput = z.input<typeof abortSyncRequestSchema>;

// ───────────── responses ─────────────

export type PushChangesStatus = 'Queued' | 'NoChanges' | 'AlreadyRunning';
/** FLEXYKEY: `{ unitId, status: Queued | NoChanges | AlreadyRunning, packetCount, message }`. */
export const pushChangesResultSchema = z.looseObject({
  unitId: responseIdSchema.nullish(),
  status: openEnumSchema<PushChangesStatus>(),
  packetCount: looseNumberSchema.nullish(),
  message: z.string().nullish(),
});
export type PushChangesResult = z.output<typeof pushChangesResultSchema>;

export type SyncState = 'InProgress' | 'Completed' | 'Failed' | 'TimedOut' | 'Aborted' | 'None';
/**
 * FLEXYKEY: `{ unitId, active, state, progressPercent, packetsTotal, packetsSent, startedIso, updatedIso,
 * message }`. With nothing running: `active: false, state: "None", message: "No active unit programming"`.
 * A finished state is reported until the next push. `state` is relied on; a missing `active` is
 * derived from it.
 */
export const syncStatusSchema = z
  .looseObject({
    unitId: responseIdSchema.nullish(),
    active: looseBooleanSchema.nullish(),
    state: openEnumSchema<SyncState>(),
    progressPercent: looseNumberSchema.nullish(),
    packetsTotal: looseNumberSchema.nullish(),
    packetsSent: looseNumberSchema.nullish(),
    startedIso: z.string().nullish(),
    updatedIso: z.string().nullish(),
    message: z.string().nullish(),
  })
  .transform((status) => ({ ...status, active: status.active ?? status.state === 'InProgress' }));
export type SyncStatus = z.output<typeof syncStatusSchema>;

export type AbortStatus = 'Aborted' | 'NothingToAbort';
/** FLEXYKEY: `{ unitId, status: Aborted | NothingToAbort, clearedPackets }`. */
export const abortSyncResultSchema = z.looseObject({
  unitId: responseIdSchema.nullish(),
  status: openEnumSchema<AbortStatus>(),
  clearedPackets: looseNumberSchema.nullish(),
});
export type AbortSyncResult = z.output<typeof abortSyncResultSchema>;
