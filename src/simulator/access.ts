import { z } from 'zod';
import { addLog } from './logs';
import { parseIsoInstant, toIso } from './time';
import { parseBody } from './validation';
import type { DeviceEntry, SimUnit, World } from './world';

export const accessBodySchema = z
  .object({
    pin: z
      .string()
      .regex(/^\d{4,7}$/, 'must be 4–7 digits')
      .optional(),
    phone: z.string().min(1).max(20, 'must be at most 20 characters').optional(),
    atIso: z
      .string()
      .refine((s) => parseIsoInstant(s) !== null, 'must be an ISO 8601 date-time with Z or an offset')
      .optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.pin === undefined) === (body.phone === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pin'], message: 'give exactly one of pin or phone' });
    }
  });

export type AccessAttempt = z.input<typeof accessBodySchema>;

export interface AccessDecision {
  unitId: number;
  granted: boolean;
  reason: 'Granted' | 'UnknownCredential' | 'NotYetValid' | 'Expired';
  method: 'pin' | 'phone';
  atIso: string;
  entryId: number | null;
  idNumber: string | null;
  action: string | null;
  logId: number;
}

function validAt(entry: DeviceEntry, at: number): boolean {
  return (
    (entry.validFromMs === null || at >= entry.validFromMs) &&
    (entry.validToMs === null || at < entry.validToMs)
  );
}

/**
 * A person at the door keys in a PIN or calls the unit. The unit decides from its DEVICE MEMORY
 * (what the last syncs delivered, not the server rows) and the validity window at `atIso`
 * (from inclusive, to exclusive). Writes an AccessGranted / AccessDenied log row; PINs never reach it.
 * Calendars (`codeTagCalendar`) are not simulated.
 */
export function simulateAccess(world: World, unit: SimUnit, rawBody: unknown): AccessDecision {
  const body = parseBody(accessBodySchema, rawBody ?? {});
  const at = body.atIso === undefined ? Date.now() : (parseIsoInstant(body.atIso) as number);
  const method = body.pin !== undefined ? 'pin' : 'phone';
  const phone = body.phone?.trim();
  const candidates: DeviceEntry[] = [];
  for (const entry of unit.device.entries.values()) {
    if (method === 'pin' ? entry.codeTag === body.pin : entry.idNumber === phone) candidates.push(entry);
  }
  const match = candidates.find((e) => validAt(e, at));
  let reason: AccessDecision['reason'];
  if (match) reason = 'Granted';
  else if (candidates.length === 0) reason = 'UnknownCredential';
  else if (candidates.every((e) => e.validFromMs !== null && at < e.validFromMs)) reason = 'NotYetValid';
  else reason = 'Expired';
  const entry = match ?? candidates[0] ?? null;
  const granted = reason === 'Granted';
  const how = method === 'pin' ? 'PIN code' : 'Phone call';
  const log = addLog(
    world,
    unit,
    {
      eventType: granted ? 'AccessGranted' : 'AccessDenied',
      idNumber: entry?.idNumber ?? (method === 'phone' ? (phone ?? null) : null),
      name: entry ? (unit.entries.get(entry.id)?.name ?? null) : null,
      description: `${how}: ${reason}${granted && entry ? ` (${entry.action})` : ''}`,
    },
    at,
  );
  return {
    unitId: unit.unitId,
    granted,
    reason,
    method,
    atIso: toIso(at),
    entryId: entry?.id ?? null,
    idNumber: entry?.idNumber ?? null,
    action: granted && entry ? entry.action : null,
    logId: log.id,
  };
}
