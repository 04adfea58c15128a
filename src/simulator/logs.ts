import { fieldProblem } from './problem';
import { toIso, toStockholmLocal } from './time';
import { type Query, queryInstant, queryInt, requireQueryInt } from './validation';
import type { LogRow, SimUnit, SimUser, World } from './world';

const MAX_LOGS_PER_UNIT = 10_000;

export interface LogInput {
  eventType: string;
  idNumber?: string | null;
  name?: string | null;
  description?: string | null;
}

/** Appends a log row for a unit (bounded per unit; the oldest go first). */
export function addLog(world: World, unit: SimUnit, input: LogInput, ms = Date.now()): LogRow {
  const row: LogRow = {
    id: world.nextId('log'),
    unitId: unit.unitId,
    timestamp: toStockholmLocal(ms),
    timestampIso: toIso(ms),
    eventType: input.eventType,
    idNumber: input.idNumber ?? null,
    name: input.name ?? null,
    description: input.description ?? null,
    ms,
  };
  unit.logs.push(row);
  if (unit.logs.length > MAX_LOGS_PER_UNIT) unit.logs.splice(0, unit.logs.length - MAX_LOGS_PER_UNIT);
  return row;
}

export function logToApi(row: LogRow): Omit<LogRow, 'ms'> {
  const { ms: _ms, ...api } = row;
  return api;
}

/**
 * GET /Logs?unitId&fromIso&toIso&limit&offset — newest first (by timestamp); `fromIso` inclusive, `toIso` exclusive.
 */
export function listLogs(world: World, user: SimUser, query: Query) {
  const unitId = requireQueryInt(query, 'unitId', { min: 1 });
  const fromMs = queryInstant(query, 'fromIso');
  const toMs = queryInstant(query, 'toIso');
  const limit = queryInt(query, 'limit', { min: 1, max: 1000 }) ?? 100;
  const offset = queryInt(query, 'offset', { min: 0 }) ?? 0;
  if (fromMs !== undefined && toMs !== undefined && toMs < fromMs) {
    throw fieldProblem('toIso', 'must not be before fromIso');
  }
  const unit = world.requireUnit(user, unitId);
  const matching = unit.logs.filter(
    (row) => (fromMs === undefined || row.ms >= fromMs) && (toMs === undefined || row.ms < toMs),
  );
  // Access simulations may be stamped in the past or future, so order by time, not by insertion.
  matching.sort((a, b) => b.ms - a.ms || b.id - a.id);
  return { total: matching.length, items: matching.slice(offset, offset + limit).map(logToApi) };
}
