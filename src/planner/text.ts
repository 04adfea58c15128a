import { createHash } from 'node:crypto';

/** FLEXYKEY: name and description hold at most 25 characters (guide, ID entries). Counted in UTF-16 units, the stricter reading. */
export const MAX_NAME_LENGTH = 25;
export const MAX_DESCRIPTION_LENGTH = 25;
/** FLEXYKEY: the Booking API's limit on an external reference is not documented; 64 is our guess. */
export const MAX_EXTERNAL_REF_LENGTH = 64;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lower-case RFC 4648 base32 of SHA-256(text), `length` characters (at most 51). */
export function hashBase32(text: string, length: number): string {
  const bytes = createHash('sha256').update(text, 'utf8').digest();
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
    if (out.length >= length) break;
  }
  return out;
}

const segmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });

/**
 * The longest prefix of `text` of at most `max` UTF-16 units that does not split a character:
 * whole grapheme clusters (an emoji with skin tone or a ZWJ family stays whole or goes), falling
 * back to whole code points when the first cluster alone is too long. Never cuts a surrogate pair.
 */
export function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const { segment } of segmenter.segment(text)) {
    if (out.length + segment.length > max) break;
    out += segment;
  }
  if (out !== '') return out;
  for (const codePoint of text) {
    if (out.length + codePoint.length > max) break;
    out += codePoint;
  }
  return out;
}

const CONTROL = /\p{Cc}/gu;
/** Bidirectional overrides and isolates: they can make a name display as something else. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/** Whitespace collapsed and trimmed, control and bidi-override characters removed. */
export function cleanText(text: string): string {
  return text.replace(CONTROL, ' ').replace(BIDI_CONTROLS, '').replace(/\s+/gu, ' ').trim();
}

/**
 * A reference to a booking in at most `max` UTF-16 units: the externalId when it fits, else a
 * prefix of it, `~`, and 6 characters of a hash of the whole booking key (so two long ids that
 * share a prefix still differ). Deterministic. `max` must be at least 8.
 */
export function shortRef(externalId: string, key: string, max: number): string {
  const clean = cleanText(externalId);
  if (clean.length <= max && clean !== '') return clean;
  const hash = hashBase32(key, 6);
  return `${truncateUtf16(clean, max - hash.length - 1)}~${hash}`;
}

/** The entry name: the guest's name shortened to 25, or the booking ref when there is no name. */
export function entryName(guestName: string | undefined, externalId: string, key: string): string {
  const clean = cleanText(guestName ?? '');
  const name = truncateUtf16(clean, MAX_NAME_LENGTH).trimEnd();
  return name !== '' ? name : shortRef(externalId, key, MAX_NAME_LENGTH);
}

/** The configuration refuses longer description tags; a hand-built resource is held to it too. */
export const MAX_DESCRIPTION_TAG_LENGTH = 12;

/** The entry description: the ownership tag, then the booking ref, 25 in all. */
export function entryDescription(tag: string, externalId: string, key: string): string {
  const safeTag = truncateUtf16(tag, MAX_DESCRIPTION_TAG_LENGTH);
  return `${safeTag}${shortRef(externalId, key, MAX_DESCRIPTION_LENGTH - safeTag.length)}`;
}

/** The FlexyKey booking's external reference: the booking key, shortened the same way if too long. */
export function externalRef(key: string): string {
  if (key.length <= MAX_EXTERNAL_REF_LENGTH) return key;
  const hash = hashBase32(key, 8);
  return `${truncateUtf16(key, MAX_EXTERNAL_REF_LENGTH - hash.length - 1)}~${hash}`;
}
