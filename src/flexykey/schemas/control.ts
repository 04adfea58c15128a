import { z } from 'zod';
import {
  exactlyOneUnitRef,
  looseBooleanSchema,
  looseStringSchema,
  patternSchema,
  responseIdSchema,
  type UnitRef,
  unitRefShape,
} from './common';

// ───────────── requests ─────────────

/** `F1`, `F2` (main relays) or `X1`–`X64` (expansion relays). */
export type OutputNumber = 'F1' | 'F2' | `X${number}`;
/** `ON`, `OFF`, or a pulse length in seconds `"1"`–`"99999"` (a number as a string, no unit). */
export type OutputAction = 'ON' | 'OFF' | `${number}`;

// Typed `… | string` (autocompletes the known forms, accepts configuration strings); checked at run time.
export const outputNumberSchema = patternSchema<OutputNumber | (string & {})>(
  /^(F[12]|X([1-9]|[1-5]\d|6[0-4]))$/,
  'must be F1, F2 or X1–X64',
);
export const outputActionSchema = patternSchema<OutputAction | (string & {})>(
  /^(ON|OFF|[1-9]\d{0,4})$/,
  'must be ON, OFF or a pulse length in seconds "1"–"99999"',
);

/** `POST /Control` body: either `unitId` or `serialNumber`, plus output and action. */
export const sendControlRequestSchema = z
  .object({ ...unitRefShape, outputNumber: outputNumberSchema, outputAction: outputActionSchema })
  .superRefine(exactlyOneUnitRef);
export type SendControlInput = Omit<z.input<typeof sendControlRequestSchema>, 'unitId' | 'serialNumber'> &
  UnitRef;

/** `GET /Control` query: either `unitId` or `serialNumber`. */
export const getControlQuerySchema = z.object(unitRefShape).superRefine(exactlyOneUnitRef);
export type GetControlQuery = UnitRef;

// ───────────── responses ─────────────

/**
 * `POST /Control` answer, known from the guide:
 * `{ "status": "OK", "unitId": 3023, "outputNumber": "F1", "outputAction": "ON", "messageId": null }`.
 */
export const controlResultSchema = z.looseObject({
  status: looseStringSchema,
  unitId: responseIdSchema.nullish(),
  outputNumber: z.string().nullish(),
  outputAction: looseStringSchema.nullish(),
  messageId: z.union([z.number(), z.string()]).nullish(),
});
export type ControlResult = z.output<typeof controlResultSchema>;

/**
 * `GET /Control` answer and the `control.statusChanged` webhook payload. Field names are from the
 * guide; FLEXYKEY: the shapes of `rawStatus`, `inputs`, `fOutputs`, `xOutputs`, `rawXInputsStatus` and
 * `xInputs` are not documented, so they are passed through untyped. X-input fields may be empty or null.
 */
export const controlStatusSchema = z.looseObject({
  unitId: responseIdSchema,
  serialNumber: looseStringSchema.nullish(),
  statusTimestamp: z.string().nullish(),
  statusTimestampIso: z.string().nullish(),
  rawStatus: z.unknown().optional(),
  inputs: z.unknown().optional(),
  fOutputs: z.unknown().optional(),
  xOutputs: z.unknown().optional(),
  xInputsStatusTimestamp: z.string().nullish(),
  xInputsStatusTimestampIso: z.string().nullish(),
  rawXInputsStatus: z.unknown().optional(),
  xInputs: z.unknown().optional(),
  isCached: looseBooleanSchema.nullish(),
});
export type ControlStatus = z.output<typeof controlStatusSchema>;
