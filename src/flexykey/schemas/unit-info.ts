import { z } from 'zod';
import {
  arrayOrEmpty,
  exactlyOneUnitRef,
  listSchema,
  looseNumberSchema,
  looseStringSchema,
  nonEmptyStringSchema,
  openEnumSchema,
  positiveIntSchema,
  responseIdSchema,
  type UnitRef,
  unitIdSchema,
  unitRefShape,
} from './common';

// ───────────── requests ─────────────

/** Command types the guide lists; the catalog (`GET /RequestUnitInfoTypes`) is the authority. */
export type UnitInfoTypeName =
  | 'CHECKASTAT'
  | 'CHECKSTATUS'
  | 'CHECKCOUNTERS'
  | 'CHECKTEMP'
  | 'CHECKSYS'
  | 'CHECKTIME'
  | 'CHECKEXP'
  | 'CHECKCALSTAT'
  | 'CHECKSALOFFICEMODE'
  | 'CHECKOUTPUTCAL'
  | 'CHECKINPUTCAL'
  | 'CHECKESPNOWMAC'
  | 'CHECKWEXP';
/** Profiles the guide lists. */
export type UnitInfoProfile = 'controlStatusFull' | 'controlStatusMedium';

/**
 * `POST /RequestUnitInfo` body: `unitId` or `serialNumber`, and `typeName` or `profile`. Names are not
 * limited to the guide's list, since the catalog can grow; the server rejects unknown ones.
 */
export const requestUnitInfoRequestSchema = z
  .object({
    ...unitRefShape,
    typeName: nonEmptyStringSchema('must be a command type name such as CHECKTEMP').optional(),
    profile: nonEmptyStringSchema('must be a profile name such as controlStatusFull').optional(),
  })
  .superRefine(exactlyOneUnitRef)
  .superRefine((value, ctx) => {
    if (value.typeName === undefined && value.profile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['typeName'], message: 'is required (or give profile instead)' });
    } else if (value.typeName !== undefined && value.profile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['profile'],
        message: 'give either typeName or profile, not both',
      });
    }
  });
/** Input of `POST /RequestUnitInfo`: one unit reference and one of `typeName` / `profile`. */
export type RequestUnitInfoInput = UnitRef &
  (
    | { typeName: UnitInfoTypeName | (string & {}); profile?: undefined }
    | { profile: UnitInfoProfile | (string & {}); typeName?: undefined }
  );

/** `GET /UnitMessages` query: default 20 rows newest first, `limit` at most 100 (guide). */
export const unitMessagesQuerySchema = z.object({
  unitId: unitIdSchema,
  typeName: z.string().optional(),
  limit: positiveIntSchema('must be an integer from 1 to 100')
    .max(100, { error: 'must be an integer from 1 to 100' })
    .optional(),
});
export type UnitMessagesQuery = z.input<typeof unitMessagesQuerySchema>;

// ───────────── responses ─────────────

/** FLEXYKEY: catalog command `{ typeName, description, cacheSeconds, rateLimitSeconds }`. */
export const unitInfoCommandSchema = z.looseObject({
  typeName: looseStringSchema,
  description: z.string().nullish(),
  cacheSeconds: looseNumberSchema.nullish(),
  rateLimitSeconds: looseNumberSchema.nullish(),
});
/** FLEXYKEY: catalog profile `{ profile, commands: [typeName] }`. */
export const unitInfoProfileSchema = z.looseObject({
  profile: looseStringSchema,
  commands: arrayOrEmpty(z.string()),
});
/** FLEXYKEY: `GET /RequestUnitInfoTypes` → `{ commands: [...], profiles: [...] }`. */
export const unitInfoTypesSchema = z.looseObject({
  commands: arrayOrEmpty(unitInfoCommandSchema),
  profiles: arrayOrEmpty(unitInfoProfileSchema),
});
export type UnitInfoCommand = z.output<typeof unitInfoCommandSchema>;
export type UnitInfoProfileEntry = z.output<typeof unitInfoProfileSchema>;
export type UnitInfoTypes = z.output<typeof unitInfoTypesSchema>;

/** Per-command outcome: queued, answered from cache, or skipped by the rate limit (guide). */
export type UnitInfoResultStatus = 'Queued' | 'Cached' | 'RateLimited';
/** FLEXYKEY: `POST /RequestUnitInfo` → `{ unitId, results: [{ typeName, status, messageId }] }`. */
export const requestUnitInfoResultSchema = z.looseObject({
  unitId: responseIdSchema.nullish(),
  results: arrayOrEmpty(
    z.looseObject({
      typeName: z.string().nullish(),
      status: openEnumSchema<UnitInfoResultStatus>(),
      messageId: z.union([z.number(), z.string()]).nullish(),
    }),
  ),
});
export type RequestUnitInfoResult = z.output<typeof requestUnitInfoResultSchema>;

/**
 * FLEXYKEY: a message row `{ id, unitId, typeName, message, timestamp, timestampIso }`. The guide:
 * `timestamp` is Swedish local database time — use `timestampIso`.
 */
export const unitMessageSchema = z.looseObject({
  id: z.union([z.number(), z.string()]).nullish(),
  unitId: responseIdSchema.nullish(),
  typeName: looseStringSchema,
  message: z.unknown().optional(),
  timestamp: z.string().nullish(),
  timestampIso: z.string().nullish(),
});
export type UnitMessage = z.output<typeof unitMessageSchema>;
/** FLEXYKEY: `GET /UnitMessages` answers a bare array (an `{ items }` envelope is accepted too). */
export const unitMessageListSchema = listSchema(unitMessageSchema);
