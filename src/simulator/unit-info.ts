import { z } from 'zod';
import { controlStatus } from './io-status';
import { fieldProblem, SimProblem } from './problem';
import { toIso, toStockholmLocal } from './time';
import { parseBody, type Query, queryInt, queryString, requireQueryInt } from './validation';
import { notifyStatusChanged } from './webhooks';
import type { SimUnit, SimUser, UnitMessage, World } from './world';

const MAX_MESSAGES_PER_UNIT = 1000;

// FLEXYKEY: the command types and profiles are the guide's; cache and rate-limit values are the
// simulator's choice (the guide says only that they exist and are configurable).
const COMMANDS: ReadonlyArray<
  [typeName: string, description: string, cacheSeconds: number, rateSeconds: number]
> = [
  ['CHECKASTAT', 'Input and output status, older compatibility format', 10, 5],
  ['CHECKSTATUS', 'FKV2 input and output status', 10, 5],
  ['CHECKCOUNTERS', 'Input counters', 30, 10],
  ['CHECKTEMP', 'Current temperature response', 60, 10],
  ['CHECKSYS', 'System information', 300, 30],
  ['CHECKTIME', 'Unit time and uptime information', 60, 10],
  ['CHECKEXP', 'Expansion unit information; may return several response messages', 300, 30],
  ['CHECKCALSTAT', 'Calendar status', 60, 10],
  ['CHECKSALOFFICEMODE', 'Sallis lock office mode status', 60, 10],
  ['CHECKOUTPUTCAL', 'Calendars connected to outputs/locks', 300, 30],
  ['CHECKINPUTCAL', 'Calendars connected to inputs', 300, 30],
  ['CHECKESPNOWMAC', 'ESP-NOW MAC address information', 3600, 60],
  ['CHECKWEXP', 'WEXP unit information', 300, 30],
];

export const UNIT_INFO_PROFILES: Readonly<Record<string, readonly string[]>> = {
  controlStatusFull: ['CHECKASTAT', 'CHECKCOUNTERS', 'CHECKTEMP', 'CHECKSYS'],
  controlStatusMedium: ['CHECKASTAT', 'CHECKCOUNTERS', 'CHECKTEMP'],
};

const TYPE_NAMES = new Set(COMMANDS.map(([t]) => t));

export interface UnitInfoCommand {
  typeName: string;
  description: string;
  cacheSeconds: number;
  rateLimitSeconds: number;
}

/** GET /RequestUnitInfoTypes, with any seed overrides of the limits applied. */
export function unitInfoTypes(world: World) {
  const commands: UnitInfoCommand[] = COMMANDS.map(
    ([typeName, description, cacheSeconds, rateLimitSeconds]) => ({
      typeName,
      description,
      cacheSeconds,
      rateLimitSeconds,
      ...world.unitInfoLimits[typeName],
    }),
  );
  const profiles = Object.entries(UNIT_INFO_PROFILES).map(([profile, list]) => ({
    profile,
    commands: [...list],
  }));
  return { commands, profiles };
}

function limitsOf(world: World, typeName: string): { cacheSeconds: number; rateLimitSeconds: number } {
  const found = COMMANDS.find(([t]) => t === typeName);
  const base = { cacheSeconds: found?.[2] ?? 0, rateLimitSeconds: found?.[3] ?? 0 };
  return { ...base, ...world.unitInfoLimits[typeName] };
}

const requestBodySchema = z.object({
  unitId: z.int().positive().optional(),
  serialNumber: z.string().min(1).optional(),
  typeName: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
});

export interface UnitInfoResult {
  typeName: string;
  status: 'Queued' | 'Cached' | 'RateLimited';
  /** Queued: id of the outgoing command; Cached: id of the cached UnitMessage; RateLimited: null. */
  messageId: number | null;
}

/**
 * POST /RequestUnitInfo — per command: a fresh answer within `cacheSeconds` → Cached; a command of
 * that type sent within `rateLimitSeconds` → RateLimited; otherwise Queued (answered after the unit's
 * latency, or when it comes back online).
 */
export function requestUnitInfo(world: World, user: SimUser, rawBody: unknown) {
  const body = parseBody(requestBodySchema, rawBody);
  if (body.typeName !== undefined && body.profile !== undefined) {
    throw fieldProblem('profile', 'give either typeName or profile, not both');
  }
  let typeNames: readonly string[];
  if (body.profile !== undefined) {
    const profile = UNIT_INFO_PROFILES[body.profile];
    if (!profile) throw fieldProblem('profile', `'${body.profile}' is not an approved profile`);
    typeNames = profile;
  } else if (body.typeName !== undefined) {
    if (!TYPE_NAMES.has(body.typeName)) {
      throw fieldProblem('typeName', `'${body.typeName}' is not an approved command type`);
    }
    typeNames = [body.typeName];
  } else {
    throw new SimProblem(400, 'typeName or profile is required', {
      typeName: ['typeName or profile is required'],
    });
  }
  const unit = world.resolveUnit(user, body);
  const now = Date.now();
  const state = unit.unitInfo;
  const results: UnitInfoResult[] = typeNames.map((typeName) => {
    const limits = limitsOf(world, typeName);
    const answer = state.lastAnswer.get(typeName);
    if (answer && now - answer.ms < limits.cacheSeconds * 1000) {
      return { typeName, status: 'Cached', messageId: answer.messageId };
    }
    const queued = state.lastQueuedMs.get(typeName);
    if (queued !== undefined && now - queued < limits.rateLimitSeconds * 1000) {
      return { typeName, status: 'RateLimited', messageId: null };
    }
    state.lastQueuedMs.set(typeName, now);
    const commandId = world.nextId('command');
    if (unit.online) world.timers.set(() => answerCommand(world, unit, typeName), unit.packetLatencyMs);
    else state.pending.push(typeName);
    return { typeName, status: 'Queued', messageId: commandId };
  });
  return { unitId: unit.unitId, results };
}

/** Answers commands that were queued while the unit was offline. */
export function flushPendingUnitInfo(world: World, unit: SimUnit): void {
  const pending = unit.unitInfo.pending.splice(0);
  for (const typeName of pending) {
    world.timers.set(() => answerCommand(world, unit, typeName), unit.packetLatencyMs);
  }
}

function responseTexts(unit: SimUnit, typeName: string, now: number): string[] {
  const status = controlStatus(unit);
  const meta = unit.meta;
  switch (typeName) {
    case 'CHECKASTAT':
      return [`ASTAT ${status.rawStatus}`];
    case 'CHECKSTATUS':
      return [`STATUS ${status.rawStatus}${status.rawXInputsStatus ? `;${status.rawXInputsStatus}` : ''}`];
    case 'CHECKCOUNTERS':
      return [`COUNTERS ${meta.counters.map((c) => `${c.id}=0`).join(';') || 'none'}`];
    case 'CHECKTEMP':
      return [meta.sensors.some((s) => s.unit === '°C') ? 'TEMP 21.5C' : 'TEMP n/a'];
    case 'CHECKSYS':
      return [`SYS type=${meta.unitType} serial=${unit.serialNumber} fw=4.2.1-sim`];
    case 'CHECKTIME':
      return [`TIME ${toStockholmLocal(now)} uptime=${Math.floor(process.uptime())}s`];
    case 'CHECKEXP':
      return [
        `EXP count=${meta.expansions.length}`,
        ...meta.expansions.map(
          (e) => `EXP${e.number} type=${e.type} relays=${e.relays.length} inputs=${e.inputs.length}`,
        ),
      ];
    case 'CHECKWEXP': {
      const wexp = meta.expansions.filter((e) => e.type === 'WEXP');
      return wexp.length === 0
        ? ['WEXP none']
        : wexp.map((e) => `WEXP${e.number} online relays=${e.relays.length}`);
    }
    case 'CHECKCALSTAT':
      return ['CALSTAT no active calendars'];
    case 'CHECKSALOFFICEMODE':
      return ['SALOFFICEMODE off'];
    case 'CHECKOUTPUTCAL':
      return ['OUTPUTCAL none'];
    case 'CHECKINPUTCAL':
      return ['INPUTCAL none'];
    case 'CHECKESPNOWMAC':
      return [`ESPNOWMAC 24:6F:28:${unit.serialNumber.slice(-6).replace(/(..)(?=.)/g, '$1:')}`];
    default:
      return [`${typeName} OK`];
  }
}

function answerCommand(world: World, unit: SimUnit, typeName: string): void {
  // Went offline while the command was on its way: it waits for the unit to return.
  if (!unit.online) {
    unit.unitInfo.pending.push(typeName);
    return;
  }
  const now = Date.now();
  let last: UnitMessage | null = null;
  for (const text of responseTexts(unit, typeName, now)) {
    last = {
      id: world.nextId('message'),
      unitId: unit.unitId,
      typeName,
      message: text,
      timestamp: toStockholmLocal(now),
      timestampIso: toIso(now),
    };
    unit.unitInfo.messages.push(last);
  }
  const messages = unit.unitInfo.messages;
  if (messages.length > MAX_MESSAGES_PER_UNIT) messages.splice(0, messages.length - MAX_MESSAGES_PER_UNIT);
  if (last) unit.unitInfo.lastAnswer.set(typeName, { ms: now, messageId: last.id });
  unit.lastSeenMs = now;
  // FLEXYKEY: "control.statusChanged is triggered when an ASTAT status message is received".
  if (typeName === 'CHECKASTAT') notifyStatusChanged(world, unit);
}

/** GET /UnitMessages?unitId&typeName&limit — newest first; default 20, at most 100. */
export function listUnitMessages(world: World, user: SimUser, query: Query): UnitMessage[] {
  const unitId = requireQueryInt(query, 'unitId', { min: 1 });
  const typeName = queryString(query, 'typeName');
  const limit = queryInt(query, 'limit', { min: 1, max: 100 }) ?? 20;
  if (typeName !== undefined && !TYPE_NAMES.has(typeName)) {
    throw fieldProblem('typeName', `'${typeName}' is not an approved command type`);
  }
  const unit = world.requireUnit(user, unitId);
  const out: UnitMessage[] = [];
  const messages = unit.unitInfo.messages;
  for (let i = messages.length - 1; i >= 0 && out.length < limit; i--) {
    const m = messages[i] as UnitMessage;
    if (typeName === undefined || m.typeName === typeName) out.push(m);
  }
  return out;
}
