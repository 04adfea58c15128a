import { InvalidArgumentError } from 'commander';

export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'`);
  return Number(value);
}

export function parsePort(value: string): number {
  const port = parseNonNegativeInteger(value);
  if (port > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got '${value}'`);
  return port;
}

export function parsePositiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got '${value}'`);
  }
  return Number(value);
}

/** A bad command-line value: commander prints it and the process exits with 2 (usage). */
function usageError(message: string): InvalidArgumentError {
  const error = new InvalidArgumentError(message);
  (error as { exitCode: number }).exitCode = 2;
  return error;
}

/** A FlexyKey unit id (a positive integer, e.g. 3023). */
export function parseUnitId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw usageError(`expected a unit id (a whole number ≥ 1, e.g. 3023), got '${value}'`);
  }
  return Number(value);
}

/** FLEXYKEY: outputs are F1, F2 (main relays) and X1–X64 (expansion relays), as the guide names them. */
const OUTPUT_NUMBER = /^(F[12]|X([1-9]|[1-5]\d|6[0-4]))$/;

/** An output to switch: F1, F2 or X1–X64 (any case; returned upper-case). */
export function parseOutputNumber(value: string): string {
  const upper = value.trim().toUpperCase();
  if (!OUTPUT_NUMBER.test(upper)) {
    throw usageError(
      `expected F1, F2 or X1–X64 (the output's globalNumber; see flexysync units), got '${value}'`,
    );
  }
  return upper;
}

/** A pulse length in whole seconds, 1–99999 (the range POST /Control accepts). */
export function parsePulseSeconds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 99_999) {
    throw usageError(`expected a pulse length of 1–99999 whole seconds, got '${value}'`);
  }
  return Number(value);
}

/** Whole seconds from 0 to a day (how long a command waits). */
export function parseWaitSeconds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 86_400) {
    throw usageError(`expected a number of seconds from 0 to 86400, got '${value}'`);
  }
  return Number(value);
}

/** Milliseconds between polls, 50 ms to a minute. */
export function parseIntervalMs(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 50 || Number(value) > 60_000) {
    throw usageError(`expected a poll interval of 50–60000 ms, got '${value}'`);
  }
  return Number(value);
}

/** The name of an environment variable (the value is a secret and never goes on the command line). */
export function parseEnvName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw usageError(
      // Not echoed: someone may have typed the secret itself here.
      'expected the NAME of an environment variable holding the value (e.g. FLEXYSYNC_WEBHOOK_SECRET), not the value itself',
    );
  }
  return value;
}

/** An absolute http(s) URL (where FlexyKey delivers a webhook). */
export function parseCallbackUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw usageError(
      'expected an absolute http(s) URL, e.g. https://flexysync.example.com/v1/webhooks/flexykey',
    );
  }
  return value;
}
