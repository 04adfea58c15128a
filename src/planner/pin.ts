import type { RandomInt } from './types';

/** Draws before giving up (a unit would have to be nearly full for this to be reached). */
export const MAX_PIN_DRAWS = 50;

/**
 * PINs people pick most often, or trace on a keypad, that the structural rules below do not
 * already catch (runs, repeats and doubled digits are caught by rule, not listed).
 * Drawn from published analyses of leaked PIN sets (DataGenetics' 2012 PIN analysis; Wang et al.,
 * "Understanding human-chosen PINs", AsiaCCS 2017) and keypad shapes (columns, diagonals, crosses).
 */
export const COMMON_PINS: ReadonlySet<string> = new Set([
  // 4 digits
  '1004',
  '2000',
  '2001',
  '2580',
  '0852',
  '1470',
  '0741',
  '3690',
  '0963',
  '1379',
  '1397',
  '7913',
  '1590',
  '0951',
  '2468',
  '8642',
  '1357',
  '7531',
  '5683',
  '0007',
  '1231',
  '1230',
  '6969',
  '1313',
  '4321',
  '1122',
  // 5 digits
  '13579',
  '97531',
  '24680',
  '14789',
  '12365',
  // 6 digits
  '159753',
  '357951',
  '147258',
  '258369',
  '369258',
  '852741',
  '963852',
  '741852',
  '147852',
  '123654',
  '789456',
  '456123',
  '147369',
  '159357',
  '357159',
  '246810',
  '102030',
  '100200',
  '111222',
  '520520',
  '520131',
  '131420',
  // 7 digits
  '8675309',
  '1472583',
]);

function digitsOf(pin: string): number[] {
  return [...pin].map(Number);
}

/** 1234, 7890, 8901 (wrap-around included), or the same descending: 4321, 3210, 1098. */
function runDirection(pin: string): 'ascending' | 'descending' | undefined {
  const digits = digitsOf(pin);
  for (const step of [1, 9] as const) {
    if (digits.every((digit, i) => i === 0 || digit === ((digits[i - 1] ?? 0) + step) % 10)) {
      return step === 1 ? 'ascending' : 'descending';
    }
  }
  return undefined;
}

/** A block repeated at least twice, the last repeat possibly partial: 1212, 123123, 1231231, 12121. */
function isPeriodic(pin: string): boolean {
  for (let period = 1; period <= pin.length / 2; period++) {
    let periodic = true;
    for (let i = period; i < pin.length && periodic; i++) periodic = pin[i] === pin[i - period];
    if (periodic) return true;
  }
  return false;
}

/** Every digit doubled: 1122, 112233, 998877. */
function isDoubled(pin: string): boolean {
  if (pin.length % 2 !== 0) return false;
  for (let i = 0; i < pin.length; i += 2) if (pin[i] !== pin[i + 1]) return false;
  return true;
}

/** A half and its mirror: 123321, 456654 (6 digits and more; mirrored 4-digit codes are not notably common). */
function isMirrored(pin: string): boolean {
  if (pin.length < 6 || pin.length % 2 !== 0) return false;
  const half = pin.slice(0, pin.length / 2);
  return pin.slice(pin.length / 2) === [...half].reverse().join('');
}

/**
 * Why a PIN is too easy to guess, or undefined if it is acceptable. The rules: all one digit;
 * ascending or descending runs (with wrap-around, so 7890 and 2109 count); repeating blocks;
 * doubled digits; mirrored halves (6+ digits); the {@link COMMON_PINS} list.
 */
export function trivialPinReason(pin: string): string | undefined {
  if (!/^\d{4,7}$/.test(pin)) return 'not 4–7 digits';
  if (/^(\d)\1+$/.test(pin)) return 'all one digit';
  const run = runDirection(pin);
  if (run) return run === 'ascending' ? 'an ascending run' : 'a descending run';
  if (isPeriodic(pin)) return 'a repeating pattern';
  if (isDoubled(pin)) return 'doubled digits';
  if (isMirrored(pin)) return 'a mirrored pattern';
  if (COMMON_PINS.has(pin)) return 'one of the most common PINs';
  return undefined;
}

export function isTrivialPin(pin: string): boolean {
  return trivialPinReason(pin) !== undefined;
}

export type DrawResult =
  | { readonly ok: true; readonly pin: string }
  | { readonly ok: false; readonly draws: number };

/**
 * Draws a uniformly random PIN of `length` digits that is not trivial and not in `taken`, with
 * at most {@link MAX_PIN_DRAWS} calls to `randomInt` (one per draw).
 */
export function drawPin(length: number, taken: ReadonlySet<string>, randomInt: RandomInt): DrawResult {
  const bound = 10 ** length;
  for (let draw = 0; draw < MAX_PIN_DRAWS; draw++) {
    const value = randomInt(0, bound);
    if (!Number.isInteger(value) || value < 0 || value >= bound) {
      throw new RangeError(`randomInt(0, ${bound}) returned ${value}`);
    }
    const pin = String(value).padStart(length, '0');
    if (!isTrivialPin(pin) && !taken.has(pin)) return { ok: true, pin };
  }
  return { ok: false, draws: MAX_PIN_DRAWS };
}
