import type { UnitsInUse, UnitUsage } from './types';

/** Both maps' codes and idNumbers, unit by unit. */
export function mergeUnitsInUse(a: UnitsInUse, b: UnitsInUse): UnitsInUse {
  const merged = new Map<number, UnitUsage>();
  for (const unitId of new Set([...a.keys(), ...b.keys()])) {
    merged.set(unitId, {
      codes: new Set([...(a.get(unitId)?.codes ?? []), ...(b.get(unitId)?.codes ?? [])]),
      idNumbers: new Set([...(a.get(unitId)?.idNumbers ?? []), ...(b.get(unitId)?.idNumbers ?? [])]),
    });
  }
  return merged;
}
