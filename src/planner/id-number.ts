import { hashBase32 } from './text';

/** FLEXYKEY: idNumber holds at most 20 characters (guide, ID entries). */
export const MAX_ID_NUMBER_LENGTH = 20;

/** Salted variants tried when a synthetic id is taken on a unit (practically never). */
const MAX_SYNTHETIC_VARIANTS = 16;

/**
 * The synthetic idNumber of a booking: the ownership prefix and a base32 hash of the booking
 * key, exactly 20 characters. Deterministic, so a retry after a crash asks for the same id
 * (and a 409 on create means "already created", not "someone else's").
 * `variant` > 0 salts the hash for the rare case the first one is taken on a unit.
 */
export function syntheticIdNumber(prefix: string, key: string, variant = 0): string {
  const input = variant === 0 ? key : `${key}#${variant}`;
  return `${prefix}${hashBase32(input, MAX_ID_NUMBER_LENGTH - prefix.length)}`;
}

/** True for an idNumber that looks like a phone number (E.164) rather than a synthetic id. */
export function isPhoneIdNumber(idNumber: string): boolean {
  return idNumber.startsWith('+');
}

export interface IdNumberInput {
  readonly key: string;
  /** The guest's E.164 phone, if any. */
  readonly phone: string | undefined;
  readonly usePhone: boolean;
  readonly prefix: string;
  /** idNumbers held by other entries on this unit. */
  readonly taken: ReadonlySet<string>;
  /** What this booking's entry on this unit has now, if any. */
  readonly previous: string | undefined;
}

export type IdNumberChoice =
  | { readonly ok: true; readonly idNumber: string; readonly note?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Chooses the idNumber of one entry.
 * 1. The guest's phone, when the policy uses phones, there is one, and no other entry on the unit
 *    has it: the guest can then also open by calling the unit.
 * 2. Otherwise a synthetic id; the guest opens with the PIN. This is how the same phone with two
 *    overlapping bookings on one unit still gets in: the second booking gets a synthetic id and
 *    its own PIN (FlexyKey answers 409 to a duplicate idNumber on a unit).
 * A previously recorded idNumber is kept while it still fits: it is the phone above, or it is a
 * synthetic id (possibly from an older prefix) and the phone cannot be used. It changes when the
 * guest's phone changed, when the phone becomes usable, or when another entry now holds it.
 */
export function chooseIdNumber(input: IdNumberInput): IdNumberChoice {
  const { phone, previous, taken } = input;
  const phoneUsable = input.usePhone && phone !== undefined && !taken.has(phone);
  if (phoneUsable) return { ok: true, idNumber: phone };
  if (previous !== undefined && !isPhoneIdNumber(previous) && !taken.has(previous)) {
    return { ok: true, idNumber: previous };
  }
  for (let variant = 0; variant < MAX_SYNTHETIC_VARIANTS; variant++) {
    const idNumber = syntheticIdNumber(input.prefix, input.key, variant);
    if (!taken.has(idNumber)) {
      const note =
        input.usePhone && phone !== undefined
          ? 'the guest phone is already the idNumber of another entry on this unit; using a synthetic idNumber (access by PIN)'
          : undefined;
      return note ? { ok: true, idNumber, note } : { ok: true, idNumber };
    }
  }
  return { ok: false, reason: `no free synthetic idNumber after ${MAX_SYNTHETIC_VARIANTS} variants` };
}
