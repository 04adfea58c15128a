/**
 * FLEXYKEY: an entry's `action` is a relay (`R1`, `R2`) or an access group (`G13`); the guide
 * names no range for groups, we accept G1–G99.
 */
export const ACTION_PATTERN = /^(?:R[12]|G[1-9]\d?)$/;

export type PinSource = 'random' | 'booking' | 'phone';

/** One door unit of a resource and what an entry on it does. */
export interface ResourceUnit {
  readonly unitId: number;
  readonly action: string;
}

/**
 * A resource (room, flat, laundry room, gate) with every default applied: what the planner
 * takes. Produced by `resolveResource(config, key)`.
 */
export interface ResolvedResource {
  readonly key: string;
  /** IANA zone, e.g. `Europe/Stockholm`. All times of the resource are computed in it. */
  readonly timeZone: string;
  readonly units: readonly ResourceUnit[];
  /** FlexyKey booking object; when set, a FlexyKey booking is wanted too. */
  readonly bookingObjectId?: number;
  /** `HH:mm`, local time of a date-only start. */
  readonly checkInTime: string;
  /** `HH:mm`, local time of a date-only end. */
  readonly checkOutTime: string;
  readonly leadMinutes: number;
  readonly lagMinutes: number;
  readonly pin: { readonly length: number; readonly source: PinSource };
  readonly idNumber: { readonly usePhone: boolean; readonly prefix: string };
  /** Ownership tag that starts every entry description flexysync writes. */
  readonly descriptionTag: string;
}
