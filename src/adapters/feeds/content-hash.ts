import { createHash } from 'node:crypto';
import { stripBom, unfold } from '../ical';

/** Properties rewritten on every export without any change of meaning (Airbnb stamps DTSTAMP = now). */
const VOLATILE = /^(?:DTSTAMP|LAST-MODIFIED)[;:]/i;

/**
 * A hash of what the feed means: BOM stripped, lines unfolded, line endings and blank lines ignored,
 * DTSTAMP and LAST-MODIFIED dropped. Two exports of the same calendar get the same hash, so an
 * unchanged feed is not parsed or compared again.
 */
export function normalisedContentHash(body: string): string {
  const hash = createHash('sha256');
  for (const { text } of unfold(stripBom(body))) {
    if (VOLATILE.test(text)) continue;
    hash.update(text.trimEnd());
    hash.update('\n');
  }
  return hash.digest('hex');
}
