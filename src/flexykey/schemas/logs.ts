import { z } from 'zod';
import {
  isoDateTimeSchema,
  looseStringSchema,
  orderedRange,
  pageSchema,
  pagingShape,
  responseIdSchema,
  unitIdSchema,
} from './common';

// ───────────── requests ─────────────

/** FLEXYKEY: `GET /Logs?unitId=&fromIso=&toIso=&limit=&offset=`. */
export const listLogsQuerySchema = z
  .object({
    unitId: unitIdSchema,
    fromIso: isoDateTimeSchema.optional(),
    toIso: isoDateTimeSchema.optional(),
    ...pagingShape,
  })
  .superRefine(orderedRange('fromIso', 'toIso'));
export type ListLogsQuery = z.input<typeof listLogsQuerySchema>;

// ───────────── responses ─────────────

/** FLEXYKEY: a log row `{ id, unitId, timestamp, timestampIso, eventType, idNumber, name, description }`. */
export const logEntrySchema = z.looseObject({
  id: z.union([z.number(), z.string()]).nullish(),
  unitId: responseIdSchema.nullish(),
  timestamp: z.string().nullish(),
  timestampIso: z.string().nullish(),
  eventType: z.string().nullish(),
  idNumber: looseStringSchema.nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
});
export type LogEntry = z.output<typeof logEntrySchema>;

/** FLEXYKEY: `GET /Logs` → `{ total, items }` (a bare array is accepted too). */
export const logPageSchema = pageSchema(logEntrySchema);
export type LogPage = z.output<typeof logPageSchema>;
