import { createHash } from 'node:crypto';
import { ConfigError, type FlexysyncConfig, resolveResource } from '../../config';

type SourceConfig = NonNullable<FlexysyncConfig['sources']>[string];
type TextField = 'summary' | 'description' | 'location';
export type FeedKind = 'booking' | 'block' | 'tentative' | 'ambiguous' | 'ignore';

export interface CompiledRule {
  readonly field: TextField;
  readonly pattern: RegExp;
  readonly kind: FeedKind;
}

export interface CompiledRoute {
  readonly field: TextField;
  readonly pattern: RegExp;
  readonly resource: string;
}

export interface CompiledExtract {
  readonly field: TextField;
  readonly pattern: RegExp;
}

/** A calendar feed ready to poll: configuration resolved, URL rewritten, secrets read, rules compiled. */
export interface FeedSource {
  readonly name: string;
  /** The URL fetched (`webcal://` rewritten to `https://`). A credential: log {@link FeedSource.redactedUrl}. */
  readonly url: URL;
  /** Scheme, host and a redacted path: what logs and status show. */
  readonly redactedUrl: string;
  readonly allowHttp: boolean;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly resources: readonly string[];
  readonly routes: readonly CompiledRoute[];
  /** Zone of floating times and unresolvable TZIDs: `timeZone`, else the first resource's zone. */
  readonly propertyZone: string;
  /** Zone of each resource (for the UTC window of all-day bookings). */
  readonly resourceZones: Readonly<Record<string, { zone: string; checkIn: string; checkOut: string }>>;
  readonly schedule: string;
  readonly rules: readonly CompiledRule[];
  readonly defaultKind: FeedKind;
  readonly ambiguousAs: 'ignore' | 'booking';
  readonly guestName?: CompiledExtract;
  readonly guestPhone?: CompiledExtract;
  readonly safety: SourceConfig['safety'];
  readonly fetch: SourceConfig['fetch'];
  readonly window: SourceConfig['window'];
  readonly reparseAfterMs: number;
  /** Changes when anything that shapes the BookingEvents changes: an unchanged feed is then re-read. */
  readonly configHash: string;
}

/**
 * Built-in mapping rules, tried after the source's own: Booking.com's fixed "CLOSED - Not available"
 * cannot be told from a date the host closed (ambiguous); Airbnb's "Airbnb (Not available)", VRBO's
 * "Blocked" and similar are blocks; summaries that say hold/tentative/option are tentative holds.
 */
export const DEFAULT_RULES: readonly CompiledRule[] = [
  { field: 'summary', pattern: /^\s*CLOSED - Not available\s*$/i, kind: 'ambiguous' },
  { field: 'summary', pattern: /\bnot available\b|^\s*(?:blocked|unavailable)\s*$/i, kind: 'block' },
  { field: 'summary', pattern: /^\s*(?:tentative|hold|on hold|option)\b/i, kind: 'tentative' },
];

/** `webcal://` and `webcals://` are https feeds (Apple's scheme for "subscribe"). */
export function feedUrl(raw: string): URL {
  const url = new URL(raw.replace(/^webcals?:\/\//i, 'https://'));
  return url;
}

/**
 * What a log may say about a feed URL: scheme, host and port, the path reduced to its shape. Tokens
 * live in paths (`/calendar/ical/123.ics?s=…`) and queries, so neither is shown.
 */
export function redactUrl(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    const segments = parsed.pathname.split('/').filter((segment) => segment !== '');
    const path = segments.length === 0 ? '/' : `/${segments.map(() => '…').join('/')}`;
    return `${parsed.protocol}//${parsed.host}${path}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

function compile(source: string, ignoreCase = true): RegExp {
  return new RegExp(source, ignoreCase ? 'iu' : 'u');
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves every configured feed: reads each password from the environment variable its
 * `auth.passwordEnv` names. Throws {@link ConfigError} listing every missing secret, so a worker
 * refuses to start rather than polling with no credentials.
 */
export function resolveFeedSources(config: FlexysyncConfig, env: Env = process.env): FeedSource[] {
  const problems: string[] = [];
  const sources: FeedSource[] = [];
  for (const [name, source] of Object.entries(config.sources ?? {})) {
    let password: string | undefined;
    if (source.auth) {
      password = env[source.auth.passwordEnv];
      if (password === undefined || password === '') {
        problems.push(
          `sources.${name}.auth.passwordEnv: the environment variable ${source.auth.passwordEnv} is not set`,
        );
        continue;
      }
    }
    const resourceZones: Record<string, { zone: string; checkIn: string; checkOut: string }> = {};
    for (const key of source.resources) {
      const resource = resolveResource(config, key);
      if (!resource) {
        problems.push(`sources.${name}.resources: unknown resource '${key}'`);
        continue;
      }
      resourceZones[key] = {
        zone: resource.timeZone,
        checkIn: resource.checkInTime,
        checkOut: resource.checkOutTime,
      };
    }
    const first = source.resources[0];
    const propertyZone = source.timeZone ?? (first ? resourceZones[first]?.zone : undefined);
    if (!propertyZone) continue;
    const url = feedUrl(source.url);
    const shaping = {
      resources: source.resources,
      route: source.route,
      timeZone: propertyZone,
      resourceZones,
      mapping: source.mapping,
      window: source.window,
    };
    sources.push({
      name,
      url,
      redactedUrl: redactUrl(url),
      allowHttp: source.allowHttp,
      ...(source.auth && password !== undefined
        ? { auth: { username: source.auth.username, password } }
        : {}),
      resources: [...source.resources],
      routes: (source.route ?? []).map((route) => ({
        field: route.field,
        pattern: compile(route.match, route.ignoreCase),
        resource: route.resource,
      })),
      propertyZone,
      resourceZones,
      schedule: source.schedule,
      rules: [
        ...source.mapping.rules.map((rule) => ({
          field: rule.field,
          pattern: compile(rule.match, rule.ignoreCase),
          kind: rule.kind,
        })),
        ...(source.mapping.useDefaultRules ? DEFAULT_RULES : []),
      ],
      defaultKind: source.mapping.defaultKind,
      ambiguousAs: source.mapping.ambiguousAs,
      ...(source.mapping.guestName
        ? {
            guestName: {
              field: source.mapping.guestName.field,
              pattern: compile(source.mapping.guestName.pattern),
            },
          }
        : {}),
      ...(source.mapping.guestPhone
        ? {
            guestPhone: {
              field: source.mapping.guestPhone.field,
              pattern: compile(source.mapping.guestPhone.pattern),
            },
          }
        : {}),
      safety: source.safety,
      fetch: source.fetch,
      window: source.window,
      reparseAfterMs: source.reparseAfterMs,
      configHash: createHash('sha256').update(JSON.stringify(shaping)).digest('hex').slice(0, 16),
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sources;
}
