import { toIso } from './time';
import type { SimUnit, SimUser, World } from './world';

/** The working-assumption unit shape of GET /Units and GET /Units/{id}. */
export function unitToApi(unit: SimUnit) {
  const m = unit.meta;
  return {
    unitId: unit.unitId,
    serialNumber: unit.serialNumber,
    name: m.name,
    unitType: m.unitType,
    online: unit.online,
    // An online unit is in contact right now; an offline one was last heard when it dropped off.
    lastSeenIso: toIso(unit.online ? Date.now() : unit.lastSeenMs),
    relays: m.relays,
    inputs: m.inputs,
    expansions: m.expansions.map((e) => ({
      type: e.type,
      number: e.number,
      relays: e.relays,
      inputs: e.inputs,
    })),
    sensors: m.sensors,
    counters: m.counters,
  };
}

/** GET /Units — the user's company only. */
export function listUnits(world: World, user: SimUser) {
  return (world.unitsByCompany.get(user.companyId) ?? []).map(unitToApi);
}

/** GET /Units/{id}. */
export function getUnit(world: World, user: SimUser, unitId: number) {
  return unitToApi(world.requireUnit(user, unitId));
}
