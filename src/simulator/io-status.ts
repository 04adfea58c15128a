import { toIso, toStockholmLocal } from './time';
import type { SimUnit } from './world';

/**
 * FLEXYKEY: the guide names the fields of the Control status object but not the shape of
 * `inputs` / `fOutputs` / `xOutputs` / `xInputs`; the simulator uses arrays of
 * `{ globalNumber, state: 'ON' | 'OFF' }` and `rawStatus` strings like `"F1=1;F2=0;I1=0"`.
 */
export interface IoPoint {
  globalNumber: string;
  state: 'ON' | 'OFF';
}

export interface ControlStatus {
  unitId: number;
  serialNumber: string;
  statusTimestamp: string;
  statusTimestampIso: string;
  rawStatus: string;
  inputs: IoPoint[];
  fOutputs: IoPoint[];
  xOutputs: IoPoint[];
  xInputsStatusTimestamp: string | null;
  xInputsStatusTimestampIso: string | null;
  rawXInputsStatus: string | null;
  xInputs: IoPoint[];
  isCached: boolean;
}

function points(map: Map<string, boolean>, filter: (n: string) => boolean): IoPoint[] {
  const list: IoPoint[] = [];
  for (const [globalNumber, on] of map) {
    if (filter(globalNumber)) list.push({ globalNumber, state: on ? 'ON' : 'OFF' });
  }
  return list;
}

function raw(list: IoPoint[]): string {
  return list.map((p) => `${p.globalNumber}=${p.state === 'ON' ? 1 : 0}`).join(';');
}

const all = () => true;

/**
 * The GET /Control body and webhook payload. `isCached` is true while the unit is offline: the
 * server can only repeat the last state it heard.
 */
export function controlStatus(unit: SimUnit): ControlStatus {
  const io = unit.io;
  const fOutputs = points(io.outputs, (n) => n.startsWith('F'));
  const xOutputs = points(io.outputs, (n) => n.startsWith('X'));
  const inputs = points(io.inputs, all);
  const xInputs = points(io.xInputs, all);
  const hasX = io.xInputsStatusMs !== null;
  return {
    unitId: unit.unitId,
    serialNumber: unit.serialNumber,
    statusTimestamp: toStockholmLocal(io.statusMs),
    statusTimestampIso: toIso(io.statusMs),
    rawStatus: raw([...fOutputs, ...xOutputs, ...inputs]),
    inputs,
    fOutputs,
    xOutputs,
    xInputsStatusTimestamp: hasX ? toStockholmLocal(io.xInputsStatusMs as number) : null,
    xInputsStatusTimestampIso: hasX ? toIso(io.xInputsStatusMs as number) : null,
    rawXInputsStatus: hasX ? raw(xInputs) : null,
    xInputs,
    isCached: !unit.online,
  };
}
