export { type DeepReadonly, deepFreeze } from './freeze';
export {
  ConfigError,
  ENV,
  type FlexysyncConfig,
  LOG_LEVELS,
  type LoadConfigOptions,
  type LogLevel,
  loadConfig,
  type ParseConfigOptions,
  parseConfig,
  parseYaml,
} from './load';
export { resolveAllResources, resolveResource } from './resolve';
export {
  CONFIG_DEFAULTS,
  type ConfigFile,
  configFileSchema,
  MIN_POLL_INTERVAL_MS,
  suggestKey,
} from './schema';
