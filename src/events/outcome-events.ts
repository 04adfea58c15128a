import type { Redis } from 'ioredis';
import { z } from 'zod';

/** The states a booking's access goes through, as the booking system sees them (DESIGN: events out). */
export const accessStates = ['applied', 'synced', 'failed', 'revoked'] as const;
export type AccessState = (typeof accessStates)[number];

const unitResultSchema = z.object({
  unitId: z.number().int(),
  state: z.enum(['pending', 'synced', 'failed', 'unreachable', 'removed']),
  detail: z.string().optional(),
});

export const outcomeEventSchema = z.object({
  source: z.string(),
  externalId: z.string(),
  state: z.enum(accessStates),
  units: z.array(unitResultSchema),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
  /** Present only when configuration lets the PIN leave the process (`events.includePin`). */
  pin: z.string().optional(),
  reason: z.string().optional(),
  revision: z.number().int().optional(),
  at: z.string(),
});
export type OutcomeEvent = z.infer<typeof outcomeEventSchema>;
export type UnitResult = z.infer<typeof unitResultSchema>;

export interface OutcomeStreamOptions {
  redis: Redis;
  /** Redis key prefix. @default 'flexysync' (the stream is then `flexysync:events`) */
  prefix?: string;
  /** Approximate cap on stream length (XADD MAXLEN ~). @default 100_000 */
  maxLength?: number;
}

export interface StoredOutcomeEvent extends OutcomeEvent {
  /** The stream entry id, usable as a cursor. */
  id: string;
}

/**
 * The `<prefix>:events` Redis stream: one entry per state change of a booking's access. Flat string
 * fields (Redis streams carry strings), `units` as JSON, so any language can read it with XREAD.
 */
export function createOutcomeStream(options: OutcomeStreamOptions) {
  const key = `${options.prefix ?? 'flexysync'}:events`;
  const maxLength = options.maxLength ?? 100_000;

  return {
    key,
    async publish(event: OutcomeEvent): Promise<string> {
      const valid = outcomeEventSchema.parse(event);
      const fields: string[] = [
        'source',
        valid.source,
        'externalId',
        valid.externalId,
        'state',
        valid.state,
        'units',
        JSON.stringify(valid.units),
        'validFrom',
        valid.validFrom ?? '',
        'validTo',
        valid.validTo ?? '',
        'at',
        valid.at,
      ];
      if (valid.pin !== undefined) fields.push('pin', valid.pin);
      if (valid.reason !== undefined) fields.push('reason', valid.reason);
      if (valid.revision !== undefined) fields.push('revision', String(valid.revision));
      const id = await options.redis.xadd(key, 'MAXLEN', '~', String(maxLength), '*', ...fields);
      if (id === null) throw new Error(`XADD to ${key} returned no id`);
      return id;
    },
    /** Entries after `cursor` (exclusive), oldest first. */
    async read(cursor = '-', count = 1000): Promise<StoredOutcomeEvent[]> {
      const start = cursor === '-' ? '-' : `(${cursor}`;
      const entries = await options.redis.xrange(key, start, '+', 'COUNT', count);
      return entries.map(([id, flat]) => ({ id, ...decodeFields(flat) }));
    },
  };
}

export type OutcomeStream = ReturnType<typeof createOutcomeStream>;

function decodeFields(flat: string[]): OutcomeEvent {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return outcomeEventSchema.parse({
    source: record.source,
    externalId: record.externalId,
    state: record.state,
    units: JSON.parse(record.units ?? '[]'),
    validFrom: record.validFrom || null,
    validTo: record.validTo || null,
    at: record.at,
    ...(record.pin !== undefined ? { pin: record.pin } : {}),
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    ...(record.revision !== undefined ? { revision: Number(record.revision) } : {}),
  });
}
