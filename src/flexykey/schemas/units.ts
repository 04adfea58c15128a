import { z } from 'zod';
import {
  arrayOrEmpty,
  listSchema,
  looseBooleanSchema,
  looseNumberSchema,
  looseStringSchema,
  responseIdSchema,
  unitIdSchema,
} from './common';

// ───────────── requests ─────────────

/** `GET /Units/{id}` path parameter. */
export const getUnitParamsSchema = z.object({ unitId: unitIdSchema });
export type GetUnitParams = z.input<typeof getUnitParamsSchema>;

// ───────────── responses ─────────────

/**
 * One IO point. Known from the guide: `{ localNumber: 1, globalNumber: "X5", description: "Alarm output" }`.
 * `globalNumber` (F1, X33, IX2…) is what the rest of the API speaks, so it is required.
 */
export const ioPointSchema = z.looseObject({
  localNumber: looseNumberSchema.nullish(),
  globalNumber: looseStringSchema,
  description: z.string().nullish(),
});
export type IoPoint = z.output<typeof ioPointSchema>;

// FLEXYKEY: expansion shape `{ type, number, relays, inputs }` is our assumption.
export const expansionSchema = z.looseObject({
  type: z.string().nullish(),
  number: looseNumberSchema.nullish(),
  relays: arrayOrEmpty(ioPointSchema),
  inputs: arrayOrEmpty(ioPointSchema),
});
export type Expansion = z.output<typeof expansionSchema>;

// FLEXYKEY: sensor `{ id, name, unit }` and counter `{ id, name }` are our assumptions.
export const sensorSchema = z.looseObject({
  id: z.union([z.number(), z.string()]).nullish(),
  name: z.string().nullish(),
  unit: z.string().nullish(),
});
export const counterSchema = z.looseObject({
  id: z.union([z.number(), z.string()]).nullish(),
  name: z.string().nullish(),
});
export type Sensor = z.output<typeof sensorSchema>;
export type Counter = z.output<typeof counterSchema>;

/**
 * FLEXYKEY: a unit as we assume it: `{ unitId, serialNumber, name, unitType, online, lastSeenIso, relays,
 * inputs, expansions, sensors, counters }`. Only `unitId` is relied on; absent collections read as `[]`.
 */
export const unitSchema = z.looseObject({
  unitId: responseIdSchema,
  serialNumber: looseStringSchema.nullish(),
  name: z.string().nullish(),
  unitType: z.string().nullish(),
  online: looseBooleanSchema.nullish(),
  lastSeenIso: z.string().nullish(),
  relays: arrayOrEmpty(ioPointSchema),
  inputs: arrayOrEmpty(ioPointSchema),
  expansions: arrayOrEmpty(expansionSchema),
  sensors: arrayOrEmpty(sensorSchema),
  counters: arrayOrEmpty(counterSchema),
});
export type Unit = z.output<typeof unitSchema>;

/** FLEXYKEY: `GET /Units` answers a bare array of units (an `{ items }` envelope is accepted too). */
export const unitListSchema = listSchema(unitSchema);
