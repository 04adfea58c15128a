import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FixedOffsetZone, IANAZone } from 'luxon';
import { type Component, propertiesNamed, propertyNamed } from './content-lines';

/** How a TZID was read. `fallback`: not resolvable, read in the property zone (with a warning). */
export interface ResolvedZone {
  readonly zone: string;
  readonly how: 'iana' | 'windows' | 'vtimezone-offset' | 'fallback';
}

let windowsIndex: Map<string, string> | undefined;

function normaliseLabel(label: string): string {
  return label.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Windows and Outlook (OWA) zone names → IANA. The table is the one node-ical ships
 * (`windowsZones.json`, CLDR's mapping plus display names such as "(UTC+01:00) Amsterdam, Berlin…");
 * node-ical does not export it, so it is read from the installed package (pinned exactly).
 */
function windowsZones(): Map<string, string> {
  if (windowsIndex) return windowsIndex;
  const index = new Map<string, string>();
  try {
    const file = join(dirname(require.resolve('node-ical')), 'windowsZones.json');
    const table = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { iana?: string[] }>;
    for (const [label, data] of Object.entries(table)) {
      const iana = data.iana?.[0];
      if (!iana) continue;
      const add = (variant: string) => {
        const key = normaliseLabel(variant);
        if (key && !index.has(key)) index.set(key, iana);
      };
      add(label);
      const withoutOffset = label.replace(/^\((?:utc|gmt)[^)]*\)\s*/i, '');
      if (withoutOffset !== label) add(withoutOffset);
    }
  } catch {
    // Without the table every Windows name falls back to the property zone, with a warning each.
  }
  windowsIndex = index;
  return index;
}

/** The IANA zone a Windows/Outlook zone name stands for, if we know the name. */
export function windowsToIana(name: string): string | undefined {
  return windowsZones().get(normaliseLabel(name));
}

function isIana(name: string): boolean {
  return IANAZone.isValidZone(name);
}

function offsetMinutes(raw: string | undefined): number | undefined {
  const match = /^([+-])(\d{2})(\d{2})(\d{2})?$/.exec(raw?.trim() ?? '');
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/**
 * A VTIMEZONE whose every part has one and the same offset (Office 365 writes fixed-offset zones with
 * a STANDARD and a DAYLIGHT part that agree) is that fixed offset; anything with real rules is not.
 */
function fixedOffsetOf(vtimezone: Component): number | undefined {
  const offsets = new Set<number | undefined>();
  for (const part of vtimezone.children) {
    offsets.add(offsetMinutes(propertyNamed(part, 'TZOFFSETTO')?.value));
    offsets.add(offsetMinutes(propertyNamed(part, 'TZOFFSETFROM')?.value));
  }
  if (offsets.size !== 1) return undefined;
  const [only] = [...offsets];
  return only;
}

/** Whole hours become `Etc/GMT∓h` (an IANA name every library knows; its sign is inverted). */
function fixedZoneName(minutes: number): string {
  if (minutes === 0) return 'UTC';
  if (minutes % 60 === 0 && Math.abs(minutes) <= 12 * 60) {
    const hours = minutes / 60;
    return `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`;
  }
  return FixedOffsetZone.instance(minutes).name;
}

/**
 * Resolves TZIDs for one calendar: IANA names as they are; `/mozilla.org/…/Europe/Berlin` style
 * prefixes dropped; Windows/Outlook names through the CLDR table; a VTIMEZONE with a single fixed offset
 * as that offset. Anything else (`Europe/Germany`, a custom zone with its own DST rules) is read in
 * the property zone and reported once per TZID.
 */
export function createZoneResolver(calendar: Component, propertyZone: string) {
  const vtimezones = new Map<string, Component>();
  for (const child of calendar.children) {
    if (child.name !== 'VTIMEZONE') continue;
    const tzid = propertyNamed(child, 'TZID')?.value.trim();
    if (tzid) vtimezones.set(tzid, child);
  }
  const cache = new Map<string, ResolvedZone>();
  const warnings: string[] = [];

  function resolveUncached(tzid: string): ResolvedZone {
    const name = tzid.trim();
    if (isIana(name)) return { zone: name, how: 'iana' };
    const tail = /(?:^|\/)([A-Za-z_]+\/[A-Za-z_+-]+(?:\/[A-Za-z_+-]+)?)$/.exec(name)?.[1];
    if (name.startsWith('/') && tail && isIana(tail)) return { zone: tail, how: 'iana' };
    const windows = windowsToIana(name);
    if (windows && isIana(windows)) return { zone: windows, how: 'windows' };
    const vtimezone = vtimezones.get(name);
    if (vtimezone) {
      const location = propertiesNamed(vtimezone, 'X-LIC-LOCATION')[0]?.value.trim();
      if (location && isIana(location)) return { zone: location, how: 'iana' };
      const fixed = fixedOffsetOf(vtimezone);
      if (fixed !== undefined) return { zone: fixedZoneName(fixed), how: 'vtimezone-offset' };
    }
    warnings.push(
      vtimezone
        ? `TZID '${name}' has a VTIMEZONE with rules we do not evaluate (no IANA or Windows name): read in the property zone ${propertyZone}`
        : `unknown TZID '${name}' (no IANA zone, no usable VTIMEZONE): read in the property zone ${propertyZone}`,
    );
    return { zone: propertyZone, how: 'fallback' };
  }

  return {
    /** The zone to read a value with this TZID in; no TZID (floating) → the property zone. */
    resolve(tzid: string | undefined): ResolvedZone {
      if (tzid === undefined) return { zone: propertyZone, how: 'iana' };
      let resolved = cache.get(tzid);
      if (!resolved) {
        resolved = resolveUncached(tzid);
        cache.set(tzid, resolved);
      }
      return resolved;
    },
    warnings,
  };
}

export type ZoneResolver = ReturnType<typeof createZoneResolver>;
