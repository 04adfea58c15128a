import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Fields pino censors at the top of a log object and one or two levels down. PINs travel as
 * `codeTag` (FlexyKey's field) or `pin` (BookingEvent's); credentials as `password`, `secret`,
 * `apiKey`, `token` and the `Authorization` header. Guests' phones (`phone`, and `idNumber`, which
 * holds the phone when there is one) are personal data and, with `pin.source: phone`, the PIN's own
 * digits. Keeping the list here means one place decides what never reaches a log.
 */
const REDACTED_FIELDS = [
  'pin',
  'codeTag',
  'password',
  'secret',
  'apiKey',
  'token',
  'authorization',
  'Authorization',
  'phone',
  'idNumber',
] as const;

export const REDACTED_PATHS: readonly string[] = [
  ...REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

export interface CreateLoggerOptions {
  /** @default process.env.LOG_LEVEL ?? 'info' */
  level?: string;
  /** Where lines go; tests pass a stream to read them back. @default stdout */
  destination?: pino.DestinationStream;
  /** Pretty, human-readable lines (for a terminal). @default false */
  pretty?: boolean;
  name?: string;
}

/** The one pino root of a process; everything else uses `logger.child({...})`. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    ...(options.name ? { name: options.name } : {}),
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.pretty) {
    return pino({ ...pinoOptions, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(pinoOptions);
}

/** A logger that drops everything; the default for library objects given no logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
