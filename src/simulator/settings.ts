import { z } from 'zod';
import { fieldProblem } from './problem';
import { parseBody, type Query, requireQueryInt } from './validation';
import { type SettingRow, type SimUser, settingKey, type World } from './world';

export interface SettingDefinition {
  setting: string;
  description: string;
  valueType: 'integer' | 'enum' | 'string';
  min: number | null;
  max: number | null;
  maxLength: number | null;
  allowed: string[] | null;
}

// FLEXYKEY: the guide names the four approved settings; their input rules are the simulator's choice.
export const SETTING_DEFINITIONS: readonly SettingDefinition[] = [
  {
    setting: 'DefaultRelayPulse',
    description: 'Default relay pulse length in seconds (1–99999)',
    valueType: 'integer',
    min: 1,
    max: 99999,
    maxLength: null,
    allowed: null,
  },
  {
    setting: 'WifiMode',
    description: 'WiFi mode',
    valueType: 'enum',
    min: null,
    max: null,
    maxLength: null,
    allowed: ['Off', 'Client', 'AccessPoint'],
  },
  {
    setting: 'WifiName',
    description: 'WiFi network name (SSID), 1–32 characters',
    valueType: 'string',
    min: null,
    max: null,
    maxLength: 32,
    allowed: null,
  },
  {
    setting: 'WifiPassword',
    description: 'WiFi password, 8–63 characters; never returned in clear',
    valueType: 'string',
    min: null,
    max: null,
    maxLength: 63,
    allowed: null,
  },
];

const MIN_LENGTH: Record<string, number> = { WifiName: 1, WifiPassword: 8 };
const MASKED = '********';
const DEFINITIONS = new Map(SETTING_DEFINITIONS.map((d) => [d.setting, d]));

const settingBodySchema = z.object({
  unitId: z.int().positive(),
  setting: z.string(),
  // FLEXYKEY: the type of params is not documented; a number (e.g. a relay number) is taken as its text.
  params: z
    .union([z.string(), z.number().transform(String)])
    .pipe(z.string().max(50, 'must be at most 50 characters'))
    .nullable()
    .optional(),
  value: z.union([z.string(), z.number()]),
});

export interface SettingApiRow {
  unitId: number;
  setting: string;
  params: string;
  value: string;
  syncState: 'Synced' | 'Changed';
}

export function settingToApi(row: SettingRow): SettingApiRow {
  return {
    unitId: row.unitId,
    setting: row.setting,
    params: row.params,
    value: row.setting === 'WifiPassword' ? MASKED : row.value,
    syncState: row.syncState,
  };
}

/** Checks a value against its definition; returns the stored (string) form. */
function validateValue(def: SettingDefinition, value: string | number): string {
  if (def.valueType === 'integer') {
    const text = typeof value === 'number' ? String(value) : value.trim();
    if (!/^-?\d+$/.test(text)) throw fieldProblem('value', `${def.setting} must be an integer`);
    const n = Number(text);
    if ((def.min !== null && n < def.min) || (def.max !== null && n > def.max)) {
      throw fieldProblem('value', `${def.setting} must be between ${def.min} and ${def.max}`);
    }
    return String(n);
  }
  if (typeof value !== 'string') throw fieldProblem('value', `${def.setting} must be a string`);
  if (def.valueType === 'enum') {
    if (!def.allowed?.includes(value)) {
      throw fieldProblem('value', `${def.setting} must be one of ${def.allowed?.join(', ')}`);
    }
    return value;
  }
  const min = MIN_LENGTH[def.setting] ?? 0;
  if (value.length < min || (def.maxLength !== null && value.length > def.maxLength)) {
    throw fieldProblem('value', `${def.setting} must be ${min}–${def.maxLength} characters`);
  }
  return value;
}

/** GET /UnitSettings?unitId → the rows that exist (WifiPassword masked). */
export function listSettings(world: World, user: SimUser, query: Query): SettingApiRow[] {
  const unit = world.requireUnit(user, requireQueryInt(query, 'unitId', { min: 1 }));
  return [...unit.settings.values()].map(settingToApi);
}

/** PUT /UnitSettings — create or update one approved setting; a real change marks it `Changed`. */
export function putSetting(world: World, user: SimUser, rawBody: unknown): SettingApiRow {
  const body = parseBody(settingBodySchema, rawBody);
  const def = DEFINITIONS.get(body.setting);
  // FLEXYKEY: guide — "If a setting is not approved by the public catalog, the API returns 400".
  if (!def) throw fieldProblem('setting', `'${body.setting}' is not an approved public setting`);
  const value = validateValue(def, body.value);
  const unit = world.requireUnit(user, body.unitId);
  const params = body.params ?? '';
  const key = settingKey(def.setting, params);
  let row = unit.settings.get(key);
  if (!row) {
    row = { unitId: unit.unitId, setting: def.setting, params, value, syncState: 'Changed', version: 1 };
    unit.settings.set(key, row);
  } else if (row.value !== value) {
    row.value = value;
    row.syncState = 'Changed';
    row.version += 1;
  }
  return settingToApi(row);
}
