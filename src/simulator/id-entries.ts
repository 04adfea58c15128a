import { z } from 'zod';
import { conflict, fieldProblem, forbidden, notFound } from './problem';
import { parseIsoInstant, toIso } from './time';
import { parseBody, type Query, queryInt, queryString, requireQueryInt } from './validation';
import type { EntryRow, SimUnit, SimUser, World } from './world';

// FLEXYKEY: guide, "Important field rules" of ID entries. R1/R2 are the main relays; G1–G99 access groups.
export const ACTION_PATTERN = /^(R1|R2|G([1-9]|[1-9][0-9]))$/;

const ISO_MESSAGE = 'must be an ISO 8601 date-time with Z or an offset, e.g. 2026-04-22T14:00:00+02:00';

const isoField = z.string().refine((s) => parseIsoInstant(s) !== null, ISO_MESSAGE);

const optionalText = (max: number) =>
  z.string().max(max, `must be at most ${max} characters`).nullable().optional();

/** POST and PUT body: PUT replaces the whole row, so both use one schema. */
export const entryBodySchema = z
  .object({
    unitId: z.int().positive(),
    idNumber: z.string().min(1, 'must not be empty').max(20, 'must be at most 20 characters'),
    name: optionalText(25),
    description: optionalText(25),
    action: z.string().regex(ACTION_PATTERN, 'must be R1, R2 or an access group G1–G99'),
    codeTag: z
      .string()
      .regex(/^\d{4,7}$/, 'must be 4–7 digits')
      .nullable()
      .optional(),
    codeTagCalendar: z.int().min(0, 'must be 0 or more').nullable().optional(),
    validFromIso: isoField.nullable().optional(),
    validToIso: isoField.nullable().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.codeTagCalendar != null && body.codeTag == null) {
      ctx.addIssue({
        code: 'custom',
        path: ['codeTagCalendar'],
        message: 'may only be set when codeTag holds a valid PIN',
      });
    }
    // Simulator rule (not in the guide): an inverted validity window is refused.
    if (body.validFromIso && body.validToIso) {
      const from = parseIsoInstant(body.validFromIso);
      const to = parseIsoInstant(body.validToIso);
      if (from !== null && to !== null && to < from) {
        ctx.addIssue({ code: 'custom', path: ['validToIso'], message: 'must not be before validFromIso' });
      }
    }
  });

type EntryBody = z.output<typeof entryBodySchema>;

export type EntryApiRow = Omit<EntryRow, 'version' | 'validFromMs' | 'validToMs'>;

export function entryToApi(row: EntryRow): EntryApiRow {
  return {
    id: row.id,
    unitId: row.unitId,
    idNumber: row.idNumber,
    name: row.name,
    description: row.description,
    action: row.action,
    codeTag: row.codeTag,
    codeTagCalendar: row.codeTagCalendar,
    validFromIso: row.validFromIso,
    validToIso: row.validToIso,
    syncState: row.syncState,
  };
}

/** Body fields normalised: absent optional fields become null; times become UTC `Z` strings. */
function normalise(body: EntryBody) {
  const validFromMs = body.validFromIso ? parseIsoInstant(body.validFromIso) : null;
  const validToMs = body.validToIso ? parseIsoInstant(body.validToIso) : null;
  return {
    idNumber: body.idNumber,
    name: body.name ?? null,
    description: body.description ?? null,
    action: body.action,
    codeTag: body.codeTag ?? null,
    codeTagCalendar: body.codeTagCalendar ?? null,
    // FLEXYKEY: returned as UTC instants (like a database datetime would); compare instants, not strings.
    validFromIso: validFromMs === null ? null : toIso(validFromMs),
    validToIso: validToMs === null ? null : toIso(validToMs),
    validFromMs,
    validToMs,
  };
}

function duplicate(unit: SimUnit, idNumber: string): never {
  throw conflict(`idNumber '${idNumber}' already exists on unit ${unit.unitId}`, 'idNumber');
}

/** GET /UnitIdEntries?unitId&search&limit&offset → `{ total, limit, offset, items }`, ordered by id. */
export function listEntries(world: World, user: SimUser, query: Query) {
  const unitId = requireQueryInt(query, 'unitId', { min: 1 });
  const search = queryString(query, 'search')?.toLowerCase();
  const limit = queryInt(query, 'limit', { min: 1, max: 1000 }) ?? 100;
  const offset = queryInt(query, 'offset', { min: 0 }) ?? 0;
  const unit = world.requireUnit(user, unitId);
  const items: EntryApiRow[] = [];
  let total = 0;
  for (const row of unit.entries.values()) {
    if (search !== undefined && !matches(row, search)) continue;
    if (total >= offset && items.length < limit) items.push(entryToApi(row));
    total += 1;
  }
  return { total, limit, offset, items };
}

function matches(row: EntryRow, needle: string): boolean {
  return (
    row.idNumber.toLowerCase().includes(needle) ||
    (row.name?.toLowerCase().includes(needle) ?? false) ||
    (row.description?.toLowerCase().includes(needle) ?? false) ||
    row.action.toLowerCase().includes(needle)
  );
}

/** POST /UnitIdEntries → 201 with the new row (`Changed`). */
export function createEntry(world: World, user: SimUser, rawBody: unknown): EntryApiRow {
  const body = parseBody(entryBodySchema, rawBody);
  const unit = world.requireUnit(user, body.unitId);
  if (unit.idNumbers.has(body.idNumber)) duplicate(unit, body.idNumber);
  const row: EntryRow = {
    id: world.nextId('entry'),
    unitId: unit.unitId,
    ...normalise(body),
    syncState: 'Changed',
    version: 1,
  };
  world.insertEntry(unit, row);
  return entryToApi(row);
}

function requireRow(world: World, user: SimUser, id: number): { row: EntryRow; unit: SimUnit } {
  const row = world.entries.get(id);
  if (!row) throw notFound(`ID entry ${id} not found`);
  const unit = world.units.get(row.unitId) as SimUnit;
  if (unit.companyId !== user.companyId) throw forbidden(`No access to ID entry ${id}`);
  return { row, unit };
}

/**
 * PUT /UnitIdEntries/{id} — full replacement. Only fields the unit holds mark the row `Changed`
 * (guide: name/description are not sent to the unit). A row pending deletion is revived.
 */
export function updateEntry(world: World, user: SimUser, id: number, rawBody: unknown): EntryApiRow {
  const { row, unit } = requireRow(world, user, id);
  const body = parseBody(entryBodySchema, rawBody);
  if (body.unitId !== row.unitId) {
    throw fieldProblem('unitId', `must match the entry's unit (${row.unitId})`);
  }
  const next = normalise(body);
  if (next.idNumber !== row.idNumber && unit.idNumbers.has(next.idNumber)) duplicate(unit, next.idNumber);
  const syncedChange =
    next.idNumber !== row.idNumber ||
    next.action !== row.action ||
    next.codeTag !== row.codeTag ||
    next.codeTagCalendar !== row.codeTagCalendar ||
    next.validFromMs !== row.validFromMs ||
    next.validToMs !== row.validToMs;
  if (next.idNumber !== row.idNumber) {
    unit.idNumbers.delete(row.idNumber);
    unit.idNumbers.set(next.idNumber, row);
  }
  Object.assign(row, next);
  if (syncedChange || row.syncState === 'PendingDelete') {
    row.syncState = 'Changed';
    row.version += 1;
  }
  return entryToApi(row);
}

/**
 * DELETE /UnitIdEntries/{id}?unitId= (or body `{ unitId }`) — marks the row `PendingDelete` (idempotent); the next
 * completed sync removes it from the unit and the server.
 */
export function deleteEntry(
  world: World,
  user: SimUser,
  id: number,
  query: Query,
  body: unknown,
): EntryApiRow {
  // FLEXYKEY: "unitId is required for all operations" — so DELETE takes it too: as a query parameter,
  // or in a JSON body `{ unitId }`.
  const bodyUnitId = (body as { unitId?: unknown } | undefined)?.unitId;
  const unitId =
    queryInt(query, 'unitId', { min: 1 }) ??
    (Number.isInteger(bodyUnitId) ? (bodyUnitId as number) : undefined);
  if (unitId === undefined) throw fieldProblem('unitId', 'is required');
  const { row } = requireRow(world, user, id);
  if (unitId !== row.unitId) throw fieldProblem('unitId', `must match the entry's unit (${row.unitId})`);
  if (row.syncState !== 'PendingDelete') {
    row.syncState = 'PendingDelete';
    row.version += 1;
  }
  return entryToApi(row);
}
