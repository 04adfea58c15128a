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
  FLEXYKEY_STATUS_CACHE_GUARD_MS,
  suggestKey,
} from './schema';
