import { z } from 'zod';

/*
 * Building blocks shared by the per-resource schemas. Request schemas are strict about the vendor
 * guide's rules (they run before anything is sent); response schemas are lenient: unknown fields are
 * kept, absent optional fields tolerated, and documented alternatives (numeric strings for ids, a bare
 * array for an envelope) accepted — but a field we rely on that is missing fails with its path.
 */

// ───────────────────────────── requests ─────────────────────────────

const requiredOr = (rule: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : rule;

/** A positive integer (unit ids, entry ids, booking object ids). */
export const positiveIntSchema = (rule = 'must be a positive integer') =>
  z
    .number({ error: requiredOr(rule) })
    .int({ error: rule })
    .positive({ error: rule });

export const nonNegativeIntSchema = (rule = 'must be an integer ≥ 0') =>
  z
    .number({ error: requiredOr(rule) })
    .int({ error: rule })
    .nonnegative({ error: rule });

/** A string matching `re`, typed as `T` (e.g. a template-literal type such as `X${number}`). */
export function patternSchema<T extends string>(re: RegExp, rule: string) {
  return z.custom<T>((value) => typeof value === 'string' && re.test(value), { error: requiredOr(rule) });
}

export const nonEmptyStringSchema = (rule = 'must be a non-empty string') =>
  z
    .string({ error: requiredOr(rule) })
    .trim()
    .min(1, { error: rule });

export const maxLengthSchema = (max: number) =>
  z.string({ error: requiredOr(`must be a string of at most ${max} characters`) }).max(max, {
    error: `must be at most ${max} characters`,
  });

/** The unit's numeric id (`3023` in the guide). */
export const unitIdSchema = positiveIntSchema('must be a positive integer unit id');

/** The unit's serial number (`"040530585131396"` in the guide); a string, leading zeros matter. */
export const serialNumberSchema = patternSchema<string>(/^\S+$/, 'must be a non-empty serial number string');

/** ISO 8601 date-time that states its zone: `2026-04-22T12:00:00Z` or `2026-04-22T14:00:00+02:00`. */
export const isoDateTimeSchema = z.iso.datetime({
  offset: true,
  error: requiredOr('must be an ISO 8601 date-time with Z or an offset, e.g. 2026-04-22T14:00:00+02:00'),
});

/** `unitId` or `serialNumber`: the guide lets several endpoints take either, never both. */
export const unitRefShape = {
  unitId: unitIdSchema.optional(),
  serialNumber: serialNumberSchema.optional(),
};

/** A reference to one unit: exactly one of `unitId` and `serialNumber`. */
export type UnitRef =
  | { unitId: number; serialNumber?: undefined }
  | { serialNumber: string; unitId?: undefined };

/** Refinement for objects built on {@link unitRefShape}: exactly one of the two must be given. */
export function exactlyOneUnitRef(
  value: { unitId?: number | undefined; serialNumber?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (value.unitId === undefined && value.serialNumber === undefined) {
    ctx.addIssue({ code: 'custom', path: ['unitId'], message: 'is required (or give serialNumber instead)' });
  } else if (value.unitId !== undefined && value.serialNumber !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['serialNumber'],
      message: 'give either unitId or serialNumber, not both',
    });
  }
}

/**
 * Refinement over two ISO fields, compared as instants when both are given and valid: `to` must be
 * after `from` (`strict`, e.g. a booking) or at least not before it (an entry's validity window).
 */
export function orderedRange(fromKey: string, toKey: string, { strict = true }: { strict?: boolean } = {}) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const from = value[fromKey];
    const to = value[toKey];
    if (typeof from !== 'string' || typeof to !== 'string') return;
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) return;
    if (strict ? fromMs >= toMs : fromMs > toMs) {
      const message = strict ? `must be after ${fromKey}` : `must not be before ${fromKey}`;
      ctx.addIssue({ code: 'custom', path: [toKey], message });
    }
  };
}

/** Paging of list endpoints: `limit` rows after skipping `offset` rows. */
export const pagingShape = {
  limit: positiveIntSchema('must be a positive integer page size').optional(),
  offset: nonNegativeIntSchema('must be an integer ≥ 0 (rows to skip)').optional(),
};

// ───────────────────────────── responses ─────────────────────────────

/** An id in a response: a number, or a numeric string (normalised to a number). */
export const responseIdSchema = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)], {
  error: (issue) =>
    issue.input === undefined ? 'is missing (required)' : 'must be an integer id (number or numeric string)',
});

/** A number in a response, also given as a numeric string. */
export const looseNumberSchema = z.union(
  [
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ],
  { error: 'must be a number' },
);

/** Text in a response that some servers send as a number (normalised to a string). */
export const looseStringSchema = z.union([z.string(), z.number().transform(String)], {
  error: (issue) => (issue.input === undefined ? 'is missing (required)' : 'must be a string'),
});

/** A flag given as boolean, 1/0 or "1"/"0"/"true"/"false" (normalised to a boolean). */
export const looseBooleanSchema = z.union(
  [
    z.boolean(),
    z.literal([0, 1]).transform((v) => v === 1),
    z.literal(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true'),
  ],
  { error: 'must be a boolean (or 1/0)' },
);

/** A string whose known values are listed, but any other string is accepted (vendors add states). */
export function openEnumSchema<T extends string>() {
  return z.custom<T | (string & {})>((value) => typeof value === 'string', {
    error: (issue) => (issue.input === undefined ? 'is missing (required)' : 'must be a string'),
  });
}

/** An optional array: absent or null becomes `[]`. */
export function arrayOrEmpty<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((value) => value ?? []);
}

/**
 * A list response. FLEXYKEY: we assume a bare JSON array; a `{ items: [...] }` envelope is accepted too,
 * and an empty body reads as an empty list.
 */
export function listSchema<T extends z.ZodType>(item: T) {
  return z.preprocess((input) => {
    if (input === undefined || input === null || input === '') return [];
    if (
      typeof input === 'object' &&
      !Array.isArray(input) &&
      Array.isArray((input as { items?: unknown }).items)
    ) {
      return (input as { items: unknown[] }).items;
    }
    return input;
  }, z.array(item));
}

/**
 * A paged list response. FLEXYKEY: we assume the envelope `{ total, limit, offset, items }`; a bare
 * array is accepted too (then `total`, `limit` and `offset` are unknown).
 */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (input) => (Array.isArray(input) ? { items: input } : input),
    z.looseObject({
      total: looseNumberSchema.nullish(),
      limit: looseNumberSchema.nullish(),
      offset: looseNumberSchema.nullish(),
      items: z.array(item),
    }),
  );
}

/** A page of a paged list; `total`, `limit` and `offset` are absent when the server sent a bare array. */
export interface Page<T> {
  items: T[];
  total?: number | null | undefined;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}

/** Any JSON object; used where the vendor guide gives no shape at all. */
export const anyObjectSchema = z.looseObject({});
