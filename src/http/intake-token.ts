import { readFileSync } from 'node:fs';
import { ConfigError } from '../config';
import { BEARER_TOKEN_PATTERN } from './auth';

/** Environment variables holding the intake's bearer token (never the configuration file). */
export const INTAKE_TOKEN_ENV = {
  token: 'FLEXYSYNC_INTAKE_TOKEN',
  tokenFile: 'FLEXYSYNC_INTAKE_TOKEN_FILE',
} as const;

/** Shorter tokens are refused at start-up: the intake writes to the door units. */
export const MIN_INTAKE_TOKEN_LENGTH = 16;

export interface ReadIntakeTokenOptions {
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads FLEXYSYNC_INTAKE_TOKEN_FILE. @default fs.readFileSync(path, 'utf8') */
  readFile?: (path: string) => string;
}

/**
 * The bearer token of `POST /v1/bookings`, from `FLEXYSYNC_INTAKE_TOKEN` or the file named by
 * `FLEXYSYNC_INTAKE_TOKEN_FILE`; undefined when neither is set (the intake is then disabled).
 * Throws {@link ConfigError} when both are set, the file cannot be read, or the token is too short
 * or has characters a bearer token cannot carry. Messages never contain the token.
 */
export function readIntakeToken(options: ReadIntakeTokenOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const direct = nonEmpty(env[INTAKE_TOKEN_ENV.token]);
  const file = nonEmpty(env[INTAKE_TOKEN_ENV.tokenFile]);
  if (direct !== undefined && file !== undefined) {
    throw new ConfigError([
      `${INTAKE_TOKEN_ENV.token} and ${INTAKE_TOKEN_ENV.tokenFile} (environment): set one of them, not both`,
    ]);
  }
  let token = direct;
  let where: string = INTAKE_TOKEN_ENV.token;
  if (file !== undefined) {
    where = `${INTAKE_TOKEN_ENV.tokenFile} ('${file}')`;
    try {
      // Secret files usually end with a newline (echo, editors, Kubernetes secrets).
      token = readFile(file).replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new ConfigError([`${INTAKE_TOKEN_ENV.tokenFile} (environment): cannot read '${file}' (${code})`]);
    }
    if (token === '') throw new ConfigError([`${where} (environment): the file is empty`]);
  }
  if (token === undefined) return undefined;
  const problems: string[] = [];
  if (token.length < MIN_INTAKE_TOKEN_LENGTH) {
    problems.push(
      `${where} (environment): the token must be at least ${MIN_INTAKE_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`,
    );
  }
  if (!BEARER_TOKEN_PATTERN.test(token)) {
    problems.push(
      `${where} (environment): the token may only hold letters, digits and - . _ ~ + / (and = at the end), as a bearer token must`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return token;
}

/** An empty variable counts as unset (compose files often declare `VAR:` with no value). */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
