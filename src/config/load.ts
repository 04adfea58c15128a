import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { formatZodIssues } from '../domain';
import { type DeepReadonly, deepFreeze } from './freeze';
import { baseUrlProblem, CONFIG_DEFAULTS, type ConfigFile, configFileSchema, parseRedisUrl } from './schema';

/** Environment variables flexysync reads (names fixed in DESIGN.md). */
export const ENV = {
  config: 'FLEXYSYNC_CONFIG',
  redisUrl: 'REDIS_URL',
  baseUrl: 'FLEXYKEY_BASE_URL',
  username: 'FLEXYKEY_USERNAME',
  password: 'FLEXYKEY_PASSWORD',
  passwordFile: 'FLEXYKEY_PASSWORD_FILE',
  logLevel: 'LOG_LEVEL',
} as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Env = Readonly<Record<string, string | undefined>>;

type MutableConfig = Omit<ConfigFile, 'flexykey'> & {
  flexykey: Omit<ConfigFile['flexykey'], 'password'> & {
    /** From FLEXYKEY_PASSWORD or FLEXYKEY_PASSWORD_FILE only; never from the file. Never log it. */
    password?: string;
  };
  /** From LOG_LEVEL. @default 'info' */
  logLevel: LogLevel;
};

/** The validated, deep-frozen configuration of a flexysync process. */
export type FlexysyncConfig = DeepReadonly<MutableConfig>;

/** Raised when the configuration cannot be used; `problems` has one line per problem, each naming its key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], origin?: string) {
    const where = origin ? ` (${origin})` : '';
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid configuration${where}, ${count}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export interface ParseConfigOptions {
  /** Reads FLEXYKEY_PASSWORD_FILE. @default fs.readFileSync(path, 'utf8') */
  readFile?: (path: string) => string;
  /** Named in error messages (the file's path). */
  origin?: string;
}

/** An empty variable counts as unset (compose files often declare `VAR:` with no value). */
function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function defaultReadFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * Validates a configuration object (a parsed YAML file), applies the environment and freezes
 * the result. Throws {@link ConfigError} listing every problem.
 */
export function parseConfig(input: unknown, env: Env, options: ParseConfigOptions = {}): FlexysyncConfig {
  const readFile = options.readFile ?? defaultReadFile;
  const problems: string[] = [];
  const parsed = configFileSchema.safeParse(input ?? {});
  if (!parsed.success) problems.push(...formatZodIssues(parsed.error));

  const redisUrl = envValue(env, ENV.redisUrl);
  if (redisUrl !== undefined && !parseRedisUrl(redisUrl)) {
    problems.push(`${ENV.redisUrl} (environment): must be a redis:// or rediss:// URL`);
  }
  const baseUrl = envValue(env, ENV.baseUrl);
  const baseUrlError = baseUrl === undefined ? undefined : baseUrlProblem(baseUrl);
  if (baseUrlError !== undefined) problems.push(`${ENV.baseUrl} (environment): ${baseUrlError}`);
  const logLevel = envValue(env, ENV.logLevel) ?? CONFIG_DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(
      `${ENV.logLevel} (environment): expected one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`,
    );
  }
  const password = readPassword(env, readFile, problems);

  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems, options.origin);

  const file = parsed.data;
  const username = envValue(env, ENV.username) ?? file.flexykey.username;
  const config: MutableConfig = {
    ...file,
    flexykey: {
      ...file.flexykey,
      baseUrl: withTrailingSlash(baseUrl ?? file.flexykey.baseUrl),
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    },
    redis: { ...file.redis, url: redisUrl ?? file.redis.url },
    logLevel: logLevel as LogLevel,
  };
  return deepFreeze(config);
}

function readPassword(env: Env, readFile: (path: string) => string, problems: string[]): string | undefined {
  const direct = envValue(env, ENV.password);
  const file = envValue(env, ENV.passwordFile);
  if (direct !== undefined && file !== undefined) {
    problems.push(`${ENV.password} and ${ENV.passwordFile} (environment): set one of them, not both`);
    return undefined;
  }
  if (direct !== undefined) return direct;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    problems.push(`${ENV.passwordFile} (environment): cannot read '${file}' (${code})`);
    return undefined;
  }
  // Secret files are usually written with a trailing newline (echo, editors, k8s secrets).
  const value = text.replace(/\r?\n$/, '');
  if (value === '') {
    problems.push(`${ENV.passwordFile} (environment): '${file}' is empty`);
    return undefined;
  }
  return value;
}

/** Relative API paths are resolved against the base URL, which only works when it ends in `/`. */
function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export interface LoadConfigOptions {
  /** YAML file to read. @default env.FLEXYSYNC_CONFIG */
  path?: string;
  /** @default process.env */
  env?: Env;
  readFile?: (path: string) => string;
}

/** Reads, validates and freezes the YAML configuration file. Throws {@link ConfigError}. */
export function loadConfig(options: LoadConfigOptions = {}): FlexysyncConfig {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? defaultReadFile;
  const path = options.path ?? envValue(env, ENV.config);
  if (path === undefined) {
    throw new ConfigError([`no configuration file: set ${ENV.config} to the path of a YAML file`]);
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([`cannot read configuration file '${path}' (${code})`]);
  }
  return parseConfig(parseYaml(text, path), env, { readFile, origin: path });
}

/** Parses YAML text; syntax errors (and duplicate keys) become a {@link ConfigError} with line and column. */
export function parseYaml(text: string, origin = 'configuration'): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const position = error.linePos?.[0];
        const at = position ? `${origin}:${position.line}:${position.col}` : origin;
        const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return `${at}: ${message}`;
      }),
      origin,
    );
  }
  return document.toJS() ?? {};
}
