import { z } from 'zod';
import {
  isoDateTimeSchema,
  looseNumberSchema,
  looseStringSchema,
  maxLengthSchema,
  nonNegativeIntSchema,
  openEnumSchema,
  orderedRange,
  pageSchema,
  pagingShape,
  patternSchema,
  positiveIntSchema,
  responseIdSchema,
  unitIdSchema,
} from './common';

// ───────────── requests ─────────────

/** A relay/action `R1`, `R2`, or an access group `G1`–`G99` (guide: "for example R1, R2 or G13"). */
export type EntryAction = 'R1' | 'R2' | `G${number}`;

// FLEXYKEY: the guide names R1, R2 and groups like G13 as examples; we accept R1, R2 and G1–G99.
// Typed `EntryAction | string` so values read from configuration need no cast; checked at run time.
export const entryActionSchema = patternSchema<EntryAction | (string & {})>(
  /^(R[12]|G([1-9]|[1-9]\d))$/,
  'must be R1, R2 or an access group G1–G99',
);

/** A PIN: 4–7 digits (guide). Never echoed in errors or logs. */
export const codeTagSchema = patternSchema<string>(/^\d{4,7}$/, 'must be 4–7 digits');

/** The row id in `/UnitIdEntries/{id}`. */
export const entryIdSchema = positiveIntSchema('must be a positive integer entry id');

const entryFields = {
  unitId: unitIdSchema,
  idNumber: z
    .string({
      error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string of 1–20 characters'),
    })
    .min(1, { error: 'must be 1–20 characters' })
    .max(20, { error: 'must be 1–20 characters' }),
  name: maxLengthSchema(25).nullish(),
  description: maxLengthSchema(25).nullish(),
  action: entryActionSchema,
  codeTag: codeTagSchema.nullish(),
  // FLEXYKEY: the type of codeTagCalendar is not documented; we assume an integer calendar number ≥ 0.
  codeTagCalendar: nonNegativeIntSchema('must be an integer calendar number ≥ 0').nullish(),
  validFromIso: isoDateTimeSchema.nullish(),
  validToIso: isoDateTimeSchema.nullish(),
};

type EntryFields = {
  codeTag?: string | null | undefined;
  codeTagCalendar?: number | null | undefined;
};

function calendarNeedsPin(value: EntryFields, ctx: z.RefinementCtx): void {
  // Guide: "codeTagCalendar may only be set when codeTag contains a valid PIN".
  if (value.codeTagCalendar != null && (value.codeTag === undefined || value.codeTag === null)) {
    ctx.addIssue({
      code: 'custom',
      path: ['codeTagCalendar'],
      message: 'may only be set together with a codeTag',
    });
  }
}

/**
 * `POST /UnitIdEntries` body. `validToIso` must not be before `validFromIso` when both are given (our
 * rule, not the guide's: an inverted window is a bug upstream).
 */
export const createUnitIdEntryRequestSchema = z
  .object(entryFields)
  .superRefine(calendarNeedsPin)
  .superRefine(orderedRange('validFromIso', 'validToIso', { strict: false }));
export type CreateUnitIdEntryInput = z.input<typeof createUnitIdEntryRequestSchema>;

/**
 * `PUT /UnitIdEntries/{id}` body. FLEXYKEY: whether PUT replaces all writable fields or merges is not
 * documented; we send the whole row (same fields as create), which is correct under both readings.
 * The guide: `unitId` must match the existing row.
 */
export const updateUnitIdEntryRequestSchema = createUnitIdEntryRequestSchema;
export type UpdateUnitIdEntryInput = z.input<typeof updateUnitIdEntryRequestSchema>;

/** `GET /UnitIdEntries` query. */
export const listUnitIdEntriesQuerySchema = z.object({
  unitId: unitIdSchema,
  search: z.string({ error: 'must be a string' }).optional(),
  ...pagingShape,
});
export type ListUnitIdEntriesQuery = z.input<typeof listUnitIdEntriesQuerySchema>;

/** Options of `unitIdEntries.iterate` / `listAll`. */
export const iterateUnitIdEntriesOptionsSchema = z.object({
  unitId: unitIdSchema,
  search: z.string({ error: 'must be a string' }).optional(),
  /** Rows per request. @default 100 */
  pageSize: positiveIntSchema('must be a positive integer page size').optional(),
});
export type IterateUnitIdEntriesOptions = z.input<typeof iterateUnitIdEntriesOptionsSchema>;

/** `DELETE /UnitIdEntries/{id}`: the row id, and its unit (guide: "unitId is required for all operations"). */
export const deleteUnitIdEntryParamsSchema = z.object({ id: entryIdSchema, unitId: unitIdSchema });
export type DeleteUnitIdEntryParams = z.input<typeof deleteUnitIdEntryParamsSchema>;

// ───────────── responses ─────────────

/** FLEXYKEY: an entry's sync state is one of these (any other string is passed through). */
export type EntrySyncState = 'Synced' | 'Changed' | 'PendingDelete';

/**
 * FLEXYKEY: an entry row `{ id, unitId, idNumber, name, description, action, codeTag, codeTagCalendar,
 * validFromIso, validToIso, syncState }`. Relied on: `id`, `unitId`, `idNumber`, `action`.
 * A numeric `codeTag` is turned back into a string (leading zeros would already be lost).
 */
export const unitIdEntrySchema = z.looseObject({
  id: responseIdSchema,
  unitId: responseIdSchema,
  idNumber: looseStringSchema,
  name: z.string().nullish(),
  description: z.string().nullish(),
  action: looseStringSchema,
  codeTag: looseStringSchema.nullish(),
  codeTagCalendar: looseNumberSchema.nullish(),
  validFromIso: z.string().nullish(),
  validToIso: z.string().nullish(),
  syncState: openEnumSchema<EntrySyncState>().nullish(),
});
export type UnitIdEntry = z.output<typeof unitIdEntrySchema>;

/** FLEXYKEY: `GET /UnitIdEntries` → `{ total, limit, offset, items }` (a bare array is accepted too). */
export const unitIdEntryPageSchema = pageSchema(unitIdEntrySchema);
export type UnitIdEntryPage = z.output<typeof unitIdEntryPageSchema>;
