import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const ioSchema = z.object({
  localNumber: z.int().min(1),
  globalNumber: z.string().min(1),
  description: z.string().default(''),
});

const expansionSchema = z.object({
  type: z.string().min(1),
  number: z.int().min(1),
  relays: z.array(ioSchema).default([]),
  inputs: z.array(ioSchema).default([]),
});

const unitSchema = z.object({
  unitId: z.int().positive(),
  serialNumber: z.string().min(1),
  name: z.string(),
  unitType: z.string().default('FlexyKey'),
  companyId: z.int(),
  /** @default true */
  online: z.boolean().default(true),
  /** Time the unit takes to acknowledge one sync packet or answer one CHECK command. @default 250 */
  packetLatencyMs: z.int().min(0).default(250),
  /** Fail every sync after this many delivered packets; null = never. @default null */
  failAfterPackets: z.int().min(0).nullable().default(null),
  lastSeenIso: z.string().optional(),
  relays: z.array(ioSchema).default([]),
  inputs: z.array(ioSchema).default([]),
  expansions: z.array(expansionSchema).default([]),
  sensors: z.array(z.object({ id: z.int(), name: z.string(), unit: z.string() })).default([]),
  counters: z.array(z.object({ id: z.int(), name: z.string() })).default([]),
});

const seedEntrySchema = z.object({
  id: z.int().positive().optional(),
  unitId: z.int().positive(),
  idNumber: z.string().min(1).max(20),
  name: z.string().max(25).nullable().default(null),
  description: z.string().max(25).nullable().default(null),
  action: z.string().regex(/^(R1|R2|G([1-9]|[1-9][0-9]))$/),
  codeTag: z
    .string()
    .regex(/^\d{4,7}$/)
    .nullable()
    .default(null),
  codeTagCalendar: z.int().min(0).nullable().default(null),
  validFromIso: z.string().nullable().default(null),
  validToIso: z.string().nullable().default(null),
});

const seedSettingSchema = z.object({
  unitId: z.int().positive(),
  setting: z.string(),
  params: z.string().default(''),
  value: z.union([z.string(), z.number()]).transform(String),
});

/**
 * The simulator's starting world. Entries and settings given here start as `Synced` and are already in
 * the unit's device memory (they model what an installer put there by hand).
 */
export const simulatorSeedSchema = z
  .object({
    companies: z.array(z.object({ companyId: z.int(), name: z.string() })).min(1),
    users: z
      .array(z.object({ username: z.string().min(1), password: z.string().min(1), companyId: z.int() }))
      .min(1),
    units: z.array(unitSchema),
    bookingObjects: z
      .array(
        z.object({
          bookingObjectId: z.int().positive(),
          companyId: z.int(),
          name: z.string(),
          unitId: z.int().positive().nullable().default(null),
        }),
      )
      .default([]),
    idEntries: z.array(seedEntrySchema).default([]),
    settings: z.array(seedSettingSchema).default([]),
    /** Override cacheSeconds / rateLimitSeconds of CHECK commands (by typeName). */
    unitInfoLimits: z
      .record(z.string(), z.object({ cacheSeconds: z.int().min(0), rateLimitSeconds: z.int().min(0) }))
      .default({}),
  })
  .superRefine((seed, ctx) => {
    const companies = new Set(seed.companies.map((c) => c.companyId));
    const units = new Set<number>();
    const serials = new Set<string>();
    seed.users.forEach((u, i) => {
      if (!companies.has(u.companyId))
        ctx.addIssue({ code: 'custom', path: ['users', i, 'companyId'], message: 'unknown companyId' });
    });
    seed.units.forEach((u, i) => {
      if (!companies.has(u.companyId))
        ctx.addIssue({ code: 'custom', path: ['units', i, 'companyId'], message: 'unknown companyId' });
      if (units.has(u.unitId))
        ctx.addIssue({ code: 'custom', path: ['units', i, 'unitId'], message: 'duplicate unitId' });
      if (serials.has(u.serialNumber))
        ctx.addIssue({
          code: 'custom',
          path: ['units', i, 'serialNumber'],
          message: 'duplicate serialNumber',
        });
      units.add(u.unitId);
      serials.add(u.serialNumber);
    });
    seed.bookingObjects.forEach((b, i) => {
      if (!companies.has(b.companyId))
        ctx.addIssue({
          code: 'custom',
          path: ['bookingObjects', i, 'companyId'],
          message: 'unknown companyId',
        });
    });
    const idNumbers = new Set<string>();
    seed.idEntries.forEach((e, i) => {
      if (!units.has(e.unitId))
        ctx.addIssue({ code: 'custom', path: ['idEntries', i, 'unitId'], message: 'unknown unitId' });
      const key = `${e.unitId}\u0000${e.idNumber}`;
      if (idNumbers.has(key))
        ctx.addIssue({ code: 'custom', path: ['idEntries', i, 'idNumber'], message: 'duplicate idNumber' });
      idNumbers.add(key);
    });
    seed.settings.forEach((s, i) => {
      if (!units.has(s.unitId))
        ctx.addIssue({ code: 'custom', path: ['settings', i, 'unitId'], message: 'unknown unitId' });
    });
  });

export type SimulatorSeed = z.input<typeof simulatorSeedSchema>;
export type ParsedSeed = z.output<typeof simulatorSeedSchema>;
export type SeedUnit = ParsedSeed['units'][number];
export type SeedIo = SeedUnit['relays'][number];

/** `config/simulator-seed.json` of this package (same relative place from `src/` and `dist/`). */
export const DEFAULT_SEED_PATH = path.resolve(__dirname, '../../config/simulator-seed.json');

/** Validates a seed, throwing an error that names every bad key path. */
export function parseSeed(input: unknown): ParsedSeed {
  const result = simulatorSeedSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid simulator seed:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

/** Reads and validates a seed JSON file. */
export function loadSeedFile(file: string = DEFAULT_SEED_PATH): SimulatorSeed {
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`Simulator seed ${file} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    parseSeed(json);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return json as SimulatorSeed;
}
