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
