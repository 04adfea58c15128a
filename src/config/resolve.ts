import type { ResolvedResource } from '../domain';
import { deepFreeze } from './freeze';
import type { FlexysyncConfig } from './load';
import { CONFIG_DEFAULTS } from './schema';

const cache = new WeakMap<FlexysyncConfig, Map<string, ResolvedResource>>();

/**
 * The resource `key` with every default applied (resource → `defaults` → built-in), as the
 * planner takes it; `undefined` for a key the configuration does not know.
 */
export function resolveResource(config: FlexysyncConfig, key: string): ResolvedResource | undefined {
  if (!Object.hasOwn(config.resources, key)) return undefined;
  let perConfig = cache.get(config);
  if (!perConfig) {
    perConfig = new Map();
    cache.set(config, perConfig);
  }
  const cached = perConfig.get(key);
  if (cached) return cached;
  const resource = config.resources[key];
  if (!resource) return undefined;
  const defaults = config.defaults;
  const builtIn = CONFIG_DEFAULTS.resource;
  const timeZone = resource.timeZone ?? defaults.timeZone;
  // The schema refuses a resource without a zone; this guards a hand-built config object.
  if (timeZone === undefined) throw new Error(`resources.${key}.timeZone is not set`);
  const resolved: ResolvedResource = {
    key,
    timeZone,
    units: (resource.units ?? []).map((unit) => ({ unitId: unit.unitId, action: unit.action })),
    ...(resource.bookingObjectId !== undefined ? { bookingObjectId: resource.bookingObjectId } : {}),
    checkInTime: resource.checkInTime ?? defaults.checkInTime ?? builtIn.checkInTime,
    checkOutTime: resource.checkOutTime ?? defaults.checkOutTime ?? builtIn.checkOutTime,
    leadMinutes: resource.leadMinutes ?? defaults.leadMinutes ?? builtIn.leadMinutes,
    lagMinutes: resource.lagMinutes ?? defaults.lagMinutes ?? builtIn.lagMinutes,
    pin: {
      length: resource.pin?.length ?? defaults.pin?.length ?? builtIn.pin.length,
      source: resource.pin?.source ?? defaults.pin?.source ?? builtIn.pin.source,
    },
    idNumber: {
      usePhone: resource.idNumber?.usePhone ?? defaults.idNumber?.usePhone ?? builtIn.idNumber.usePhone,
      prefix: resource.idNumber?.prefix ?? defaults.idNumber?.prefix ?? builtIn.idNumber.prefix,
    },
    descriptionTag: resource.descriptionTag ?? defaults.descriptionTag ?? builtIn.descriptionTag,
  };
  const frozen = deepFreeze(resolved) as ResolvedResource;
  perConfig.set(key, frozen);
  return frozen;
}

/** Every configured resource, resolved, in configuration order. */
export function resolveAllResources(config: FlexysyncConfig): ResolvedResource[] {
  return Object.keys(config.resources).flatMap((key) => {
    const resource = resolveResource(config, key);
    return resource ? [resource] : [];
  });
}
