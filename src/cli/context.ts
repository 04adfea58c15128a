import type { Command } from 'commander';
import { Redis } from 'ioredis';
import pino from 'pino';
import { ENV, type FlexysyncConfig, loadConfig, parseConfig } from '../config';
import { createLogger, type Logger } from '../logging';

export interface ConfigOption {
  config?: string;
}

/** The configuration named by --config or FLEXYSYNC_CONFIG; without either, defaults plus environment. */
export function cliConfig(options: ConfigOption, { required }: { required: boolean }): FlexysyncConfig {
  const path = options.config ?? process.env[ENV.config];
  if (path) return loadConfig({ path });
  if (required) return loadConfig({});
  return parseConfig({}, process.env);
}

/** JSON lines by default; readable lines when a person watches a terminal. */
export function cliLogger(config?: FlexysyncConfig): Logger {
  return createLogger({
    level: config?.logLevel ?? process.env.LOG_LEVEL ?? 'info',
    pretty: process.stdout.isTTY === true,
  });
}

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;

/** How often a short-lived command tries to (re)connect to Redis before it gives up. */
const CLI_REDIS_CONNECT_ATTEMPTS = 3;
/** How long a command waits for Redis to answer at all. */
const CLI_REDIS_READY_TIMEOUT_MS = 10_000;

/** Raised when a command cannot reach Redis; the message names where it looked (never its password). */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
}

/**
 * Connects for a command that runs once (enqueue, status). Unlike the worker, which waits for Redis
 * for as long as it takes, a command gives up after a few attempts and says why: ioredis and BullMQ
 * would otherwise retry forever and the command would hang with no explanation.
 */
export async function connectCliRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: CLI_REDIS_CONNECT_ATTEMPTS,
    connectTimeout: 5_000,
    retryStrategy: (times) => (times > CLI_REDIS_CONNECT_ATTEMPTS ? null : Math.min(times * 200, 1_000)),
  });
  let lastError: unknown;
  // Every failed attempt emits 'error'; only the last one is reported, once.
  redis.on('error', (error) => {
    lastError = error;
  });
  let deadline: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('end', () => reject(lastError ?? new Error('connection closed')));
      // A server that accepts the connection but never answers (paused, overloaded) is given up on too.
      deadline = setTimeout(
        () => reject(new Error(`no answer within ${CLI_REDIS_READY_TIMEOUT_MS / 1_000} s`)),
        CLI_REDIS_READY_TIMEOUT_MS,
      );
    });
  } catch (error) {
    // After 'end' there is nothing to close (disconnecting again would hold the process for ~2 s).
    if (redis.status !== 'end') redis.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    throw new RedisUnreachableError(`cannot connect to Redis at ${redactRedisUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(deadline);
  }
  return redis;
}

/** The Redis URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

/**
 * Raised by a command to stop with a message and an exit code of {@link EXIT}: the message goes to
 * stderr as is (it must already be safe to show: no secret, no PIN).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/**
 * Command-line mistakes (an unknown option, a bad value, a missing required option) exit with
 * {@link EXIT.usage} instead of commander's 1, so a script can tell "you called me wrong" from "it
 * failed". Subcommands created afterwards inherit it.
 */
export function exitUsageErrorsWith2(command: Command): Command {
  return command.exitOverride((error) => {
    // Help and version output are not errors.
    if (error.exitCode === 0) process.exit(0);
    process.exit(EXIT.usage);
  });
}

/**
 * The logger of an operator command: its lines go to stderr (stdout carries the command's result,
 * `--json` included) and only warnings and errors appear unless LOG_LEVEL asks for more.
 */
export function operatorLogger(config?: FlexysyncConfig): Logger {
  return createLogger({
    level: process.env.LOG_LEVEL ? (config?.logLevel ?? process.env.LOG_LEVEL) : 'warn',
    destination: pino.destination({ fd: 2, sync: true }),
  });
}

/**
 * Runs a command's action: a {@link CliError} prints its message and sets its exit code; anything
 * else is left to runCli (message, exit 1).
 */
export function operatorAction<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      console.error(error.message);
      process.exitCode = error.exitCode;
    }
  };
}
