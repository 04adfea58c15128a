import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { luaScript, runScript } from '../coordination';
import type { UnitsInUse } from '../planner';
import { storeKeys } from './keys';

/**
 * Claims a booking's codes and idNumbers on its units, all or nothing; only when every one is free (or
 * already the booking's), writes in the same step what goes with them: the booking's record (with its
 * index entry) and the marks saying which units wait for its change. When any is held by another owner
 * nothing at all is written and the taken fields come back as `<claims key index>|<field>`. When a
 * lease token is given and the lease key no longer holds it, nothing is written either: `!fenced`.
 * KEYS: record, bookings index, units set, the booking's awaiting set, the lease key (any key when
 * unfenced), then the n claims hashes, then the m awaiting hashes.
 * ARGV: owner (the booking key), record text ('' = none), '1' to add the index entry, n, m, the lease
 * token ('' = unfenced), then per claims hash a field count and its fields, then per awaiting hash the
 * unit id and a generation.
 */
const WRITE_AHEAD = luaScript(`
if ARGV[6] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[6] then return { '!fenced' } end
local owner = ARGV[1]
local n = tonumber(ARGV[4])
local m = tonumber(ARGV[5])
local taken = {}
local at = 7
for k = 1, n do
  local count = tonumber(ARGV[at])
  for i = at + 1, at + count do
    local holder = redis.call('HGET', KEYS[5 + k], ARGV[i])
    if holder and holder ~= owner then taken[#taken + 1] = k .. '|' .. ARGV[i] end
  end
  at = at + count + 1
end
if #taken > 0 then return taken end
at = 7
for k = 1, n do
  local count = tonumber(ARGV[at])
  for i = at + 1, at + count do redis.call('HSET', KEYS[5 + k], ARGV[i], owner) end
  at = at + count + 1
end
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2])
  if ARGV[3] == '1' then redis.call('SADD', KEYS[2], owner) end
end
for j = 1, m do
  redis.call('HSET', KEYS[5 + n + j], owner, ARGV[at + 1])
  redis.call('SADD', KEYS[3], ARGV[at])
  redis.call('SADD', KEYS[4], ARGV[at])
  at = at + 2
end
return taken
`);

/** What a fenced write must find in Redis: the lease key still holding this holder's token. */
export interface WriteFence {
  readonly key: string;
  readonly token: string;
}

/** Raised when a fenced write finds its lease gone or taken over: nothing was written. */
export class FencedOutError extends Error {
  constructor(readonly leaseKey: string) {
    super(`the lease ${leaseKey} is no longer held by this process; nothing was written`);
    this.name = 'FencedOutError';
  }
}

export interface EntryClaim {
  code?: string | undefined;
  idNumber?: string | undefined;
}

export function claimFields(claim: EntryClaim): string[] {
  const fields: string[] = [];
  if (claim.code) fields.push(`code:${claim.code}`);
  if (claim.idNumber) fields.push(`id:${claim.idNumber}`);
  return fields;
}

export interface WriteAheadInput {
  /** The booking key: owner of the claims, key of the record and of the awaiting marks. */
  owner: string;
  /** Per unit, the code and idNumber to claim. */
  claims: ReadonlyMap<number, EntryClaim>;
  /** The record's text, written only when every claim is granted. */
  recordText?: string;
  /** Whether the record's key must be added to the bookings index (a new record). */
  index?: boolean;
  /** Units to mark as waiting for this booking's change (each with a fresh generation). */
  awaitingUnits?: readonly number[];
  /** Write only while this lease is still held ({@link FencedOutError} otherwise). */
  fence?: WriteFence | undefined;
}

/** Runs the write-ahead script; returns what is taken, per unit (an empty map: everything was written). */
export async function writeAhead(redis: Redis, prefix: string, input: WriteAheadInput): Promise<UnitsInUse> {
  const keys = storeKeys(prefix);
  const claimUnits = [...input.claims.keys()].filter(
    (unitId) => claimFields(input.claims.get(unitId) ?? {}).length > 0,
  );
  const awaitingUnits = input.awaitingUnits ?? [];
  const result = (await runScript(
    redis,
    WRITE_AHEAD,
    [
      keys.booking(input.owner),
      keys.bookingsIndex,
      keys.units,
      keys.bookingAwaitingUnits(input.owner),
      input.fence?.key ?? keys.booking(input.owner),
      ...claimUnits.map((unitId) => keys.unitClaims(unitId)),
      ...awaitingUnits.map((unitId) => keys.unitAwaiting(unitId)),
    ],
    [
      input.owner,
      input.recordText ?? '',
      input.index ? '1' : '0',
      claimUnits.length,
      awaitingUnits.length,
      input.fence?.token ?? '',
      ...claimUnits.flatMap((unitId) => {
        const fields = claimFields(input.claims.get(unitId) ?? {});
        return [String(fields.length), ...fields];
      }),
      ...awaitingUnits.flatMap((unitId) => [String(unitId), randomUUID()]),
    ],
  )) as string[];
  if (result[0] === '!fenced') throw new FencedOutError(input.fence?.key ?? '');

  const taken = new Map<number, { codes: Set<string>; idNumbers: Set<string> }>();
  for (const item of result) {
    const separator = item.indexOf('|');
    const unitId = claimUnits[Number(item.slice(0, separator)) - 1] as number;
    const field = item.slice(separator + 1);
    const usage = taken.get(unitId) ?? { codes: new Set<string>(), idNumbers: new Set<string>() };
    if (field.startsWith('code:')) usage.codes.add(field.slice(5));
    else usage.idNumbers.add(field.slice(3));
    taken.set(unitId, usage);
  }
  return taken;
}
