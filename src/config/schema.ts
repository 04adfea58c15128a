import { isIP } from 'node:net';
import { IANAZone } from 'luxon';
import { validate as cronValidate } from 'node-cron';
import { z } from 'zod';
import { ACTION_PATTERN, describeInput } from '../domain';

/** Built-in defaults of every option, in one place (docs/configuration.md lists the same values). */
export const CONFIG_DEFAULTS = {
  flexykey: {
    baseUrl: 'https://api.flexykey.se/v1/',
    timeouts: { connectMs: 5_000, requestMs: 15_000 },
    maxConnections: 10,
    requestBudget: { maxRequests: 10, perSeconds: 1 },
  },
  redis: { url: 'redis://127.0.0.1:6379', prefix: 'flexysync' },
  queues: {
    bookings: { concurrency: 8 },
    unitSync: { concurrency: 16 },
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
  },
  sync: {
    pollIntervalMs: 2_500,
    minPushIntervalMs: 2_500,
    statusCacheGuardMs: 2_000,
    deadlineMs: 120_000,
    maxAttempts: 5,
    backoff: { baseMs: 5_000, maxMs: 300_000 },
    unreachableRetryMs: 900_000,
  },
  events: { includePin: true },
  reconcile: {
    enabled: true,
    schedule: '15 * * * *',
    timeZone: 'UTC',
    expiredGraceMinutes: 60,
    forgetEndedAfterDays: 30,
    maxDeleteShare: 0.5,
  },
  http: {
    enabled: false,
    host: '127.0.0.1',
    port: 8780,
    bodyLimitBytes: 1_048_576,
    maxEventsPerRequest: 1_000,
  },
  metrics: { enabled: true, defaultMetrics: true, collectTimeoutMs: 2_000 },
  webhooks: { enabled: false, bodyLimitBytes: 65_536, streamMaxLength: 10_000 },
  dashboard: { enabled: true, basePath: '/dashboard', readOnly: false },
  resource: {
    checkInTime: '15:00',
    checkOutTime: '11:00',
    leadMinutes: 0,
    lagMinutes: 0,
    pin: { length: 6, source: 'random' as const },
    idNumber: { usePhone: true, prefix: 'fs' },
    descriptionTag: 'fs:',
  },
  logLevel: 'info',
} as const;

/**
 * FLEXYKEY: UnitSync/Status answers are cached for about 2 s (guide, Unit sync); polling faster
 * can only return stale states. The default of `sync.statusCacheGuardMs`, and so the smallest
 * `sync.pollIntervalMs` unless an operator lowers the guard (e.g. against the simulator).
 */
export const FLEXYKEY_STATUS_CACHE_GUARD_MS = 2_000;

const WEBHOOK_SECRET_RULE =
  'must not be in the configuration file: set the FLEXYSYNC_WEBHOOK_SECRET environment variable or FLEXYSYNC_WEBHOOK_SECRET_FILE (a file holding it)';
const WEBHOOK_API_KEY_RULE =
  'must not be in the configuration file: set the FLEXYSYNC_WEBHOOK_API_KEY environment variable or FLEXYSYNC_WEBHOOK_API_KEY_FILE (a file holding it)';
const DASHBOARD_CREDENTIALS_RULE =
  'must not be in the configuration file: set FLEXYSYNC_DASHBOARD_USER and FLEXYSYNC_DASHBOARD_PASSWORD (or FLEXYSYNC_DASHBOARD_PASSWORD_FILE) in the environment';

const INTAKE_TOKEN_RULE =
  'must not be in the configuration file: set the FLEXYSYNC_INTAKE_TOKEN environment variable or FLEXYSYNC_INTAKE_TOKEN_FILE (a file holding it)';

/** A DNS name (labels of letters, digits and inner hyphens). IP addresses are checked with `net.isIP`. */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const PASSWORD_RULE =
  'must not be in the configuration file: set the FLEXYKEY_PASSWORD environment variable or FLEXYKEY_PASSWORD_FILE (a file holding it)';

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** Closest known key to a typo, if close enough to be a plausible slip. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = key.toLowerCase() === unknown.toLowerCase() ? 0 : levenshtein(unknown, key);
    if (!best || distance < best.distance) best = { key, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(unknown.length / 3)) ? best.key : undefined;
}

function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const parts = keys.map((key) => {
    const suggestion = suggestKey(key, known);
    return suggestion ? `'${key}' (did you mean '${suggestion}'?)` : `'${key}'`;
  });
  return `unknown key${keys.length > 1 ? 's' : ''} ${parts.join(', ')}; known keys: ${known.join(', ')}`;
}

/**
 * A section of the file: unknown keys are errors (a typo must not be silently ignored), and a
 * key written with nothing after it (`defaults:` → YAML null) counts as absent.
 */
function section<S extends z.core.$ZodLooseShape>(shape: S, what = 'a mapping') {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return unknownKeysMessage(issue.keys, known);
      return issue.input === undefined ? 'is required' : `must be ${what}, got ${describeInput(issue.input)}`;
    },
  });
}

function within(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** YAML writes an empty section as null; treat it as absent so its defaults apply. */
function nullAsAbsent<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema);
}

/**
 * An integer from min to max, as one refinement with one message. Not zod's `.int()`: its issue is
 * marked `continue: false`, which skips every later check, the file's cross-key checks included
 * (`superRefine(…, { when })` still yields to an explicit abort), so a single `1.5` would hide
 * other problems; a refinement's issue does not abort.
 */
function int(min: number, max: number, unit = '') {
  const rule = `must be an integer from ${min} to ${max}${unit}`;
  return z
    .number({
      error: (issue) => (issue.input === undefined ? 'is required' : `${rule}, got ${show(issue.input)}`),
    })
    .refine((value) => within(value, min, max), { error: (issue) => `${rule}, got ${show(issue.input)}` });
}

function bool() {
  return z.boolean({
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be true or false, got ${show(issue.input)}`,
  });
}

function str(expected: string) {
  return z.string({
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be ${expected}, got ${describeInput(issue.input)}`,
  });
}

/** Config values are the operator's own: echoing them (briefly) makes the message actionable. */
function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return describeInput(value);
}

const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

const timeOfDay = str('a time "HH:mm"').regex(HH_MM, {
  error: (issue) => `must be a time "HH:mm" (00:00–23:59), got ${show(issue.input)}`,
});

/**
 * Zone names already checked: luxon builds an Intl.DateTimeFormat per check, and a configuration with
 * thousands of resources in a handful of zones would otherwise build thousands (tens of MB of native
 * memory that a reconcile dry run then carries).
 */
const checkedZones = new Map<string, boolean>();
function isIanaZone(name: string): boolean {
  let valid = checkedZones.get(name);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(name);
    checkedZones.set(name, valid);
  }
  return valid;
}

const timeZone = str('an IANA time zone').refine(isIanaZone, {
  error: (issue) => `must be an IANA time zone such as Europe/Stockholm, got ${show(issue.input)}`,
});

/**
 * What is wrong with a FlexyKey base URL, or undefined when it is usable. Credentials in it are
 * refused, like a feed URL's: they would bypass FLEXYKEY_PASSWORD(_FILE) and be printed wherever the
 * base URL is (`config check`, logs). A value that may hold one is never echoed.
 */
export function baseUrlProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.username !== '' || url.password !== '')) {
    return 'must not hold a user name or password: set the user in FLEXYKEY_USERNAME (or flexykey.username) and the password in FLEXYKEY_PASSWORD or FLEXYKEY_PASSWORD_FILE';
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return value.includes('@')
      ? 'must be an http(s) URL (the value is not shown: it may hold a password)'
      : `must be an http(s) URL, got ${show(value)}`;
  }
  return undefined;
}

/** Parses a redis:// or rediss:// URL; undefined when it is not one. */
export function parseRedisUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'redis:' || url.protocol === 'rediss:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const unitSchema = section({
  unitId: int(1, Number.MAX_SAFE_INTEGER).describe('FlexyKey unitId (integer, e.g. 3023).'),
  action: str('an action').regex(ACTION_PATTERN, {
    error: (issue) => `expected R1, R2 or G1–G99, got ${show(issue.input)}`,
  }),
});

const pinPolicySchema = section({
  length: int(4, 7).optional(),
  source: z
    .enum(['random', 'booking', 'phone'], {
      error: (issue) => `expected random, booking or phone, got ${show(issue.input)}`,
    })
    .optional(),
});

const idNumberPolicySchema = section({
  usePhone: bool().optional(),
  prefix: str('a prefix')
    .regex(/^[A-Za-z][A-Za-z0-9_-]{0,5}$/, {
      error: (issue) =>
        `must be 1–6 characters, a letter followed by letters, digits, '_' or '-', got ${show(issue.input)}`,
    })
    .optional(),
});

/** Options a resource may set itself or inherit from `defaults`. */
const resourceOptionShape = {
  timeZone: timeZone.optional(),
  checkInTime: timeOfDay.optional(),
  checkOutTime: timeOfDay.optional(),
  leadMinutes: int(0, 10_080, ' (a week)').optional(),
  lagMinutes: int(0, 10_080, ' (a week)').optional(),
  pin: nullAsAbsent(pinPolicySchema.optional()),
  idNumber: nullAsAbsent(idNumberPolicySchema.optional()),
  descriptionTag: str('a tag')
    .min(1, { error: 'must be 1–12 characters' })
    .max(12, { error: 'must be 1–12 characters (the description, tag included, is at most 25)' })
    .optional(),
};

const resourceSchema = section({
  ...resourceOptionShape,
  units: nullAsAbsent(z.array(unitSchema, { error: typeErrorList }).optional()),
  bookingObjectId: int(1, Number.MAX_SAFE_INTEGER).optional(),
}).superRefine(
  (resource, ctx) => {
    // A resource or units value of the wrong type is reported by its own rule; do not pile on.
    if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) return;
    if (resource.units !== undefined && !Array.isArray(resource.units)) return;
    const units = resource?.units ?? [];
    if (units.length === 0 && resource?.bookingObjectId === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs at least one unit (units) or a bookingObjectId',
        path: [],
      });
    }
    const seen = new Map<unknown, number>();
    units.forEach((unit, index) => {
      const id = unit?.unitId;
      if (id === undefined) return;
      const first = seen.get(id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['units', index, 'unitId'],
          message: `unit ${String(id)} is listed twice (also units[${first}]); one entry per unit`,
        });
      } else seen.set(id, index);
    });
  },
  { when: () => true },
);

function typeErrorList(issue: { input?: unknown }): string {
  return issue.input === undefined ? 'is required' : `must be a list, got ${describeInput(issue.input)}`;
}

// ---------------------------------------------------------------------------------------------
// sources: calendar feeds (docs/feeds.md)

/** Defaults of a calendar feed source (`sources.<name>`), in one place; docs/feeds.md lists the same. */
export const SOURCE_DEFAULTS = {
  schedule: '*/10 * * * *',
  allowHttp: false,
  fetch: {
    connectTimeoutMs: 10_000,
    headersTimeoutMs: 30_000,
    bodyTimeoutMs: 30_000,
    totalTimeoutMs: 60_000,
    maxBytes: 10_485_760,
    maxRedirects: 5,
  },
  safety: {
    absentFetchesBeforeCancel: 2,
    maxCancelShare: 0.5,
    minCancellationsToHold: 2,
    maxRejectedShare: 0.5,
  },
  window: { pastDays: 31, futureDays: 400, maxOccurrencesPerSeries: 1_000 },
  mapping: { useDefaultRules: true, defaultKind: 'booking' as const, ambiguousAs: 'ignore' as const },
  /** An unchanged feed is still re-read this often: recurring series bring new occurrences into the window. */
  reparseAfterMs: 21_600_000,
} as const;

/** Source names end up in Redis keys and BookingEvents (`source`), so they follow its alphabet. */
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A feed URL is a credential (Airbnb and Booking.com put the secret in it): problems name the
 * scheme, never the URL.
 */
function feedUrl() {
  return str('an https:// or webcal:// URL').superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an https:// (or webcal://) URL; this one does not parse',
      });
      return;
    }
    if (!['https:', 'http:', 'webcal:', 'webcals:'].includes(url.protocol)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an https:// (or webcal://) URL, got a ${url.protocol}// URL`,
      });
    }
    if (url.username || url.password) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must not hold a user name or password: set auth.username and name the environment variable holding the password in auth.passwordEnv',
      });
    }
  });
}

function share(defaultValue: number) {
  const rule = (issue: { input?: unknown }) => `must be a number from 0 to 1, got ${show(issue.input)}`;
  return z.number({ error: rule }).min(0, { error: rule }).max(1, { error: rule }).default(defaultValue);
}

function regexSource(what: string) {
  return str(what).superRefine((value, ctx) => {
    try {
      new RegExp(value, 'u');
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a regular expression (JavaScript syntax): ${(error as Error).message}`,
      });
    }
  });
}

const textField = z
  .enum(['summary', 'description', 'location'], {
    error: (issue) => `expected summary, description or location, got ${show(issue.input)}`,
  })
  .default('summary');

const mappingRuleSchema = section({
  field: textField,
  match: regexSource('a regular expression'),
  ignoreCase: bool().default(true),
  kind: z.enum(['booking', 'block', 'tentative', 'ambiguous', 'ignore'], {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : `expected booking, block, tentative, ambiguous or ignore, got ${show(issue.input)}`,
  }),
});

const extractSchema = section({
  field: textField,
  /** The first capture group (or the group named `value`) is the value. */
  pattern: regexSource('a regular expression with a capture group'),
});

const routeSchema = section({
  field: textField,
  match: regexSource('a regular expression'),
  ignoreCase: bool().default(true),
  resource: str('a resource key').min(1, { error: 'must not be empty' }),
});

const sourceSchema = section({
  type: z.literal('ical', {
    error: (issue) =>
      issue.input === undefined ? 'is required (ical)' : `expected ical, got ${show(issue.input)}`,
  }),
  url: feedUrl(),
  allowHttp: bool().default(SOURCE_DEFAULTS.allowHttp),
  auth: nullAsAbsent(
    section({
      username: str('a user name').min(1, { error: 'must not be empty' }),
      passwordEnv: str('an environment variable name').regex(ENV_NAME, {
        error: (issue) =>
          `must be an environment variable name (e.g. FEED_AIRBNB_PASSWORD), got ${show(issue.input)}`,
      }),
      password: z
        .undefined({
          error:
            'must not be in the configuration file: put the password in an environment variable and name it in passwordEnv',
        })
        .optional(),
    }).optional(),
  ),
  resources: z
    .preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z
        .array(str('a resource key').min(1, { error: 'must not be empty' }), { error: typeErrorList })
        .min(1, { error: 'must name at least one resource' }),
    )
    .describe('The resource(s) this feed books; a single key is accepted for one resource.'),
  route: nullAsAbsent(z.array(routeSchema, { error: typeErrorList }).optional()),
  timeZone: timeZone.optional(),
  schedule: str('a cron expression')
    .refine((value) => cronValidate(value), {
      error: (issue) =>
        `must be a cron expression (minute hour day-of-month month day-of-week, e.g. '*/10 * * * *'), got ${show(issue.input)}`,
    })
    .default(SOURCE_DEFAULTS.schedule),
  mapping: nullAsAbsent(
    section({
      rules: nullAsAbsent(z.array(mappingRuleSchema, { error: typeErrorList }).default([])),
      useDefaultRules: bool().default(SOURCE_DEFAULTS.mapping.useDefaultRules),
      defaultKind: z
        .enum(['booking', 'block', 'tentative', 'ignore'], {
          error: (issue) => `expected booking, block, tentative or ignore, got ${show(issue.input)}`,
        })
        .default(SOURCE_DEFAULTS.mapping.defaultKind),
      ambiguousAs: z
        .enum(['ignore', 'booking'], {
          error: (issue) => `expected ignore or booking, got ${show(issue.input)}`,
        })
        .default(SOURCE_DEFAULTS.mapping.ambiguousAs),
      guestName: nullAsAbsent(extractSchema.optional()),
      guestPhone: nullAsAbsent(extractSchema.optional()),
    }).prefault({}),
  ),
  safety: nullAsAbsent(
    section({
      absentFetchesBeforeCancel: int(1, 100).default(SOURCE_DEFAULTS.safety.absentFetchesBeforeCancel),
      maxCancelShare: share(SOURCE_DEFAULTS.safety.maxCancelShare),
      minCancellationsToHold: int(1, 100_000).default(SOURCE_DEFAULTS.safety.minCancellationsToHold),
      maxRejectedShare: share(SOURCE_DEFAULTS.safety.maxRejectedShare),
    }).prefault({}),
  ),
  fetch: nullAsAbsent(
    section({
      connectTimeoutMs: int(100, 120_000, ' ms').default(SOURCE_DEFAULTS.fetch.connectTimeoutMs),
      headersTimeoutMs: int(100, 600_000, ' ms').default(SOURCE_DEFAULTS.fetch.headersTimeoutMs),
      bodyTimeoutMs: int(100, 600_000, ' ms').default(SOURCE_DEFAULTS.fetch.bodyTimeoutMs),
      totalTimeoutMs: int(100, 1_800_000, ' ms').default(SOURCE_DEFAULTS.fetch.totalTimeoutMs),
      maxBytes: int(1_024, 1_073_741_824, ' bytes').default(SOURCE_DEFAULTS.fetch.maxBytes),
      maxRedirects: int(0, 20).default(SOURCE_DEFAULTS.fetch.maxRedirects),
    }).prefault({}),
  ),
  window: nullAsAbsent(
    section({
      pastDays: int(0, 3_650, ' days').default(SOURCE_DEFAULTS.window.pastDays),
      futureDays: int(1, 3_650, ' days').default(SOURCE_DEFAULTS.window.futureDays),
      maxOccurrencesPerSeries: int(1, 100_000).default(SOURCE_DEFAULTS.window.maxOccurrencesPerSeries),
    }).prefault({}),
  ),
  reparseAfterMs: int(60_000, 604_800_000, ' ms').default(SOURCE_DEFAULTS.reparseAfterMs),
});

const sourcesSchema = z.record(
  str('a source name').regex(SOURCE_NAME, {
    error:
      "source names must be 1–64 of letters, digits, '.', '_' or '-', starting with a letter or digit (they become BookingEvent.source)",
  }),
  sourceSchema,
  {
    error: (issue) =>
      issue.code === 'invalid_key'
        ? "source names must be 1–64 of letters, digits, '.', '_' or '-', starting with a letter or digit"
        : `must be a mapping, got ${describeInput(issue.input)}`,
  },
);

/** Checks between a source and the rest of the file (resources it names, plain http). */
function checkSources(config: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  const { sources, resources } = (config ?? {}) as { sources?: unknown; resources?: unknown };
  if (!sources || typeof sources !== 'object') return;
  const known = resources && typeof resources === 'object' ? Object.keys(resources) : [];
  for (const [name, source] of Object.entries(sources as Record<string, unknown>)) {
    if (!source || typeof source !== 'object') continue;
    const {
      url,
      allowHttp,
      resources: feeds,
      route,
    } = source as {
      url?: unknown;
      allowHttp?: unknown;
      resources?: unknown;
      route?: unknown;
    };
    if (typeof url === 'string' && /^http:/i.test(url) && allowHttp !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['sources', name, 'url'],
        message:
          'is plain http (the feed and its secret would travel unencrypted): use https, or set allowHttp: true',
      });
    }
    const listed = Array.isArray(feeds) ? feeds.filter((key): key is string => typeof key === 'string') : [];
    listed.forEach((key, index) => {
      if (!known.includes(key)) {
        const suggestion = suggestKey(key, known);
        ctx.addIssue({
          code: 'custom',
          path: ['sources', name, 'resources', index],
          message: `unknown resource '${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; resources: ${known.join(', ') || '(none)'}`,
        });
      }
    });
    if (Array.isArray(route)) {
      route.forEach((rule, index) => {
        const target = (rule as { resource?: unknown } | null)?.resource;
        if (typeof target === 'string' && !listed.includes(target)) {
          ctx.addIssue({
            code: 'custom',
            path: ['sources', name, 'route', index, 'resource'],
            message: `must be one of this source's resources (${listed.join(', ')}), got '${target}'`,
          });
        }
      });
    }
  }
}

/** Paths the worker's HTTP server serves itself; the dashboard may not sit on them. */
const RESERVED_PATHS = ['/v1', '/healthz', '/readyz', '/metrics'];

/** No control characters, no surrounding whitespace. */
const RESOURCE_KEY = /^[^\s\p{Cc}](?:\P{Cc}*[^\s\p{Cc}])?$/u;

export const configFileSchema = section({
  flexykey: nullAsAbsent(
    section({
      baseUrl: str('the API base URL')
        .superRefine((value, ctx) => {
          const problem = baseUrlProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .default(CONFIG_DEFAULTS.flexykey.baseUrl),
      username: str('a user name').min(1, { error: 'must not be empty' }).optional(),
      password: z.undefined({ error: PASSWORD_RULE }).optional(),
      timeouts: nullAsAbsent(
        section({
          connectMs: int(100, 120_000, ' ms').default(CONFIG_DEFAULTS.flexykey.timeouts.connectMs),
          requestMs: int(100, 600_000, ' ms').default(CONFIG_DEFAULTS.flexykey.timeouts.requestMs),
        }).prefault({}),
      ),
      /** Keep-alive connections each process opens to the API (HTTP/1.1: one request at a time on each). */
      maxConnections: int(1, 256).default(CONFIG_DEFAULTS.flexykey.maxConnections),
      requestBudget: nullAsAbsent(
        section({
          maxRequests: int(1, 100_000).default(CONFIG_DEFAULTS.flexykey.requestBudget.maxRequests),
          perSeconds: int(1, 3_600, ' s').default(CONFIG_DEFAULTS.flexykey.requestBudget.perSeconds),
        }).prefault({}),
      ),
    }).prefault({}),
  ),
  redis: nullAsAbsent(
    section({
      url: str('a redis:// URL')
        .refine((value) => parseRedisUrl(value) !== undefined, {
          error: (issue) => `must be a redis:// or rediss:// URL, got ${show(issue.input)}`,
        })
        .refine((value) => !parseRedisUrl(value)?.password, {
          error:
            'must not hold a password in the configuration file: set REDIS_URL in the environment instead',
        })
        .default(CONFIG_DEFAULTS.redis.url),
      prefix: str('a key prefix')
        .regex(/^[A-Za-z0-9{][A-Za-z0-9._:{}-]{0,63}$/, {
          error: (issue) =>
            `must be 1–64 characters of letters, digits, '.', '_', '-', ':', '{', '}', starting with a letter, a digit or '{', got ${show(issue.input)}`,
        })
        .default(CONFIG_DEFAULTS.redis.prefix),
    }).prefault({}),
  ),
  queues: nullAsAbsent(
    section({
      bookings: nullAsAbsent(
        section({ concurrency: int(1, 1_000).default(CONFIG_DEFAULTS.queues.bookings.concurrency) }).prefault(
          {},
        ),
      ),
      unitSync: nullAsAbsent(
        section({ concurrency: int(1, 1_000).default(CONFIG_DEFAULTS.queues.unitSync.concurrency) }).prefault(
          {},
        ),
      ),
      /** How long a worker's claim on a job lasts without renewal; a crashed worker's jobs return after it. */
      lockDurationMs: int(1_000, 600_000, ' ms').default(CONFIG_DEFAULTS.queues.lockDurationMs),
      /** How often workers look for jobs whose worker died (stalled jobs). */
      stalledIntervalMs: int(1_000, 600_000, ' ms').default(CONFIG_DEFAULTS.queues.stalledIntervalMs),
    }).prefault({}),
  ),
  sync: nullAsAbsent(
    section({
      pollIntervalMs: int(100, 60_000, ' ms').default(CONFIG_DEFAULTS.sync.pollIntervalMs),
      /** Shortest time from one PushChanges of a unit to the next: changes arriving meanwhile go together. */
      minPushIntervalMs: int(0, 600_000, ' ms').default(CONFIG_DEFAULTS.sync.minPushIntervalMs),
      statusCacheGuardMs: int(0, 60_000, ' ms').default(CONFIG_DEFAULTS.sync.statusCacheGuardMs),
      deadlineMs: int(1_000, 3_600_000, ' ms').default(CONFIG_DEFAULTS.sync.deadlineMs),
      maxAttempts: int(1, 100).default(CONFIG_DEFAULTS.sync.maxAttempts),
      backoff: nullAsAbsent(
        section({
          baseMs: int(100, 3_600_000, ' ms').default(CONFIG_DEFAULTS.sync.backoff.baseMs),
          maxMs: int(100, 86_400_000, ' ms').default(CONFIG_DEFAULTS.sync.backoff.maxMs),
        }).prefault({}),
      ),
      unreachableRetryMs: int(100, 86_400_000, ' ms').default(CONFIG_DEFAULTS.sync.unreachableRetryMs),
    }).prefault({}),
  ),
  events: nullAsAbsent(
    section({ includePin: bool().default(CONFIG_DEFAULTS.events.includePin) }).prefault({}),
  ),
  /** Reconciliation of every unit against the records, on a cron schedule (one run per slot in the deployment). */
  reconcile: nullAsAbsent(
    section({
      enabled: bool().default(CONFIG_DEFAULTS.reconcile.enabled),
      schedule: str('a cron expression')
        .refine((value) => cronValidate(value), {
          error: (issue) =>
            `must be a cron expression (minute hour day-of-month month day-of-week, e.g. '15 * * * *'), got ${show(issue.input)}`,
        })
        .default(CONFIG_DEFAULTS.reconcile.schedule),
      timeZone: str('an IANA time zone')
        .refine(isIanaZone, {
          error: (issue) => `must be an IANA time zone such as Europe/Stockholm, got ${show(issue.input)}`,
        })
        .default(CONFIG_DEFAULTS.reconcile.timeZone),
      expiredGraceMinutes: int(0, 525_600, ' minutes').default(CONFIG_DEFAULTS.reconcile.expiredGraceMinutes),
      forgetEndedAfterDays: int(1, 3_650, ' days').default(CONFIG_DEFAULTS.reconcile.forgetEndedAfterDays),
      maxDeleteShare: z
        .number({ error: (issue) => `must be a number from 0 to 1, got ${show(issue.input)}` })
        .min(0, { error: (issue) => `must be a number from 0 to 1, got ${show(issue.input)}` })
        .max(1, { error: (issue) => `must be a number from 0 to 1, got ${show(issue.input)}` })
        .default(CONFIG_DEFAULTS.reconcile.maxDeleteShare),
    }).prefault({}),
  ),
  defaults: nullAsAbsent(section(resourceOptionShape).prefault({})),
  resources: nullAsAbsent(
    z
      .record(
        str('a resource key')
          .regex(RESOURCE_KEY, {
            error: 'resource keys must be 1–100 characters without control characters or surrounding spaces',
          })
          .max(100, { error: 'resource keys must be at most 100 characters' }),
        resourceSchema,
        {
          error: (issue) =>
            issue.code === 'invalid_key'
              ? 'resource keys must be 1–100 characters without control characters or surrounding spaces'
              : `must be a mapping of resource key → resource, got ${describeInput(issue.input)}`,
        },
      )
      .prefault({}),
  ),
  /** Calendar feeds polled on a schedule (docs/feeds.md). */
  sources: nullAsAbsent(sourcesSchema.optional()),
  /** The worker's HTTP server: health, readiness, the JSON Schema and the booking intake. */
  http: nullAsAbsent(
    section({
      enabled: bool().default(CONFIG_DEFAULTS.http.enabled),
      host: str('a host name or IP address')
        .refine((value) => isIP(value) !== 0 || HOST_NAME.test(value), {
          error: (issue) =>
            `must be a host name or IP address to listen on (e.g. 127.0.0.1, 0.0.0.0, ::), got ${show(issue.input)}`,
        })
        .default(CONFIG_DEFAULTS.http.host),
      port: int(0, 65_535, ' (0 picks a free port)').default(CONFIG_DEFAULTS.http.port),
      bodyLimitBytes: int(1_024, 104_857_600, ' bytes (1 KiB–100 MiB)').default(
        CONFIG_DEFAULTS.http.bodyLimitBytes,
      ),
      maxEventsPerRequest: int(1, 100_000).default(CONFIG_DEFAULTS.http.maxEventsPerRequest),
      token: z.undefined({ error: INTAKE_TOKEN_RULE }).optional(),
    }).prefault({}),
  ),
  /** `GET /metrics` on the worker's HTTP server (docs/metrics.md). */
  metrics: nullAsAbsent(
    section({
      enabled: bool().default(CONFIG_DEFAULTS.metrics.enabled),
      defaultMetrics: bool().default(CONFIG_DEFAULTS.metrics.defaultMetrics),
      collectTimeoutMs: int(100, 60_000, ' ms').default(CONFIG_DEFAULTS.metrics.collectTimeoutMs),
    }).prefault({}),
  ),
  /** The receiver of FlexyKey's `control.statusChanged` webhook (docs/http-api.md). */
  webhooks: nullAsAbsent(
    section({
      enabled: bool().default(CONFIG_DEFAULTS.webhooks.enabled),
      bodyLimitBytes: int(1_024, 1_048_576, ' bytes (1 KiB–1 MiB)').default(
        CONFIG_DEFAULTS.webhooks.bodyLimitBytes,
      ),
      streamMaxLength: int(100, 10_000_000).default(CONFIG_DEFAULTS.webhooks.streamMaxLength),
      secret: z.undefined({ error: WEBHOOK_SECRET_RULE }).optional(),
      apiKey: z.undefined({ error: WEBHOOK_API_KEY_RULE }).optional(),
    }).prefault({}),
  ),
  /** The bull-board queue dashboard, behind HTTP Basic auth from the environment (docs/http-api.md). */
  dashboard: nullAsAbsent(
    section({
      enabled: bool().default(CONFIG_DEFAULTS.dashboard.enabled),
      basePath: str('a path such as /dashboard')
        .regex(/^\/[a-z0-9][a-z0-9._~-]*(?:\/[a-z0-9][a-z0-9._~-]*)*$/, {
          error: (issue) =>
            `must be a path of lower-case segments such as /dashboard or /ops/queues (no trailing /), got ${show(issue.input)}`,
        })
        .refine((value) => !RESERVED_PATHS.some((path) => value === path || value.startsWith(`${path}/`)), {
          error: (issue) =>
            `must not overlap the server's own paths (${RESERVED_PATHS.join(', ')}), got ${show(issue.input)}`,
        })
        .default(CONFIG_DEFAULTS.dashboard.basePath),
      readOnly: bool().default(CONFIG_DEFAULTS.dashboard.readOnly),
      user: z.undefined({ error: DASHBOARD_CREDENTIALS_RULE }).optional(),
      username: z.undefined({ error: DASHBOARD_CREDENTIALS_RULE }).optional(),
      password: z.undefined({ error: DASHBOARD_CREDENTIALS_RULE }).optional(),
    }).prefault({}),
  ),
}).superRefine(
  (config, ctx) => {
    const sync = config?.sync;
    // Relations are checked only between values that passed their own rules (no piling on).
    if (sync && within(sync.pollIntervalMs, 100, 60_000) && within(sync.statusCacheGuardMs, 0, 60_000)) {
      if (sync.pollIntervalMs < sync.statusCacheGuardMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['sync', 'pollIntervalMs'],
          message: `must be at least sync.statusCacheGuardMs (${sync.statusCacheGuardMs} ms; FlexyKey caches the sync status for about 2 s, faster polls only see stale answers), got ${sync.pollIntervalMs}`,
        });
      }
    }
    if (sync && within(sync.deadlineMs, 1_000, 3_600_000) && within(sync.pollIntervalMs, 100, 60_000)) {
      if (sync.deadlineMs <= sync.pollIntervalMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['sync', 'deadlineMs'],
          message: `must be longer than sync.pollIntervalMs (${sync.pollIntervalMs} ms)`,
        });
      }
    }
    const backoff = sync?.backoff;
    if (backoff && within(backoff.baseMs, 100, 3_600_000) && within(backoff.maxMs, 100, 86_400_000)) {
      if (backoff.maxMs < backoff.baseMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['sync', 'backoff', 'maxMs'],
          message: `must be at least sync.backoff.baseMs (${backoff.baseMs} ms)`,
        });
      }
    }
    const defaultZone = config?.defaults?.timeZone;
    const resources = config?.resources;
    if (resources && typeof resources === 'object') {
      for (const [key, resource] of Object.entries(resources)) {
        if (resource && typeof resource === 'object' && resource.timeZone === undefined && !defaultZone) {
          ctx.addIssue({
            code: 'custom',
            path: ['resources', key, 'timeZone'],
            message:
              'is required (set it on the resource or in defaults.timeZone); flexysync never uses the server zone',
          });
        }
      }
    }
    checkSources(config, ctx);
  },
  { when: () => true },
);

/** The configuration file after validation and defaults, before the environment is applied. */
export type ConfigFile = z.output<typeof configFileSchema>;
