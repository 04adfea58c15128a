import { z } from 'zod';
import { type ControlStatus, controlStatus } from './io-status';
import { addLog } from './logs';
import { fieldProblem, SimProblem } from './problem';
import { parseBody, type Query, queryInt, queryString } from './validation';
import { notifyStatusChanged } from './webhooks';
import type { ControlCommand, SimUnit, SimUser, World } from './world';

// FLEXYKEY: "outputNumber can be F1, F2 or X1–X64"; "outputAction can be ON, OFF or a pulse value in
// seconds, 1–99999 (only number, no unit)" — sent as a string.
const OUTPUT_PATTERN = /^(F[12]|X([1-9]|[1-5][0-9]|6[0-4]))$/;
const ACTION_PATTERN = /^(ON|OFF|[1-9][0-9]{0,4})$/;

const controlBodySchema = z.object({
  unitId: z.int().positive().optional(),
  serialNumber: z.string().min(1).optional(),
  outputNumber: z.string().regex(OUTPUT_PATTERN, 'must be F1, F2 or X1–X64'),
  outputAction: z.string().regex(ACTION_PATTERN, 'must be ON, OFF or a pulse length in seconds "1"–"99999"'),
});

export interface ControlResult {
  status: 'OK';
  unitId: number;
  outputNumber: string;
  outputAction: string;
  messageId: null;
}

/**
 * POST /Control. An offline unit's commands wait and are carried out when it comes back (the
 * answer is OK either way: the API only queues the command).
 */
export function postControl(world: World, user: SimUser, rawBody: unknown): ControlResult {
  const body = parseBody(controlBodySchema, rawBody);
  const unit = world.resolveUnit(user, body);
  if (!unit.outputNumbers.has(body.outputNumber)) {
    throw fieldProblem('outputNumber', `${body.outputNumber} does not exist on unit ${unit.unitId}`);
  }
  const command = { outputNumber: body.outputNumber, outputAction: body.outputAction };
  if (unit.online) applyCommand(world, unit, command);
  else unit.io.pending.push(command);
  return {
    status: 'OK',
    unitId: unit.unitId,
    outputNumber: body.outputNumber,
    outputAction: body.outputAction,
    messageId: null,
  };
}

/** GET /Control?unitId= or ?serialNumber=. */
export function getControl(world: World, user: SimUser, query: Query): ControlStatus {
  const unit = world.resolveUnit(user, {
    unitId: queryInt(query, 'unitId', { min: 1 }),
    serialNumber: queryString(query, 'serialNumber'),
  });
  return controlStatus(unit);
}

function applyCommand(world: World, unit: SimUnit, command: ControlCommand): void {
  const { outputNumber, outputAction } = command;
  world.timers.clear(unit.io.pulseTimers.get(outputNumber));
  unit.io.pulseTimers.delete(outputNumber);
  if (outputAction === 'ON' || outputAction === 'OFF') {
    setOutput(world, unit, outputNumber, outputAction === 'ON', `API ${outputAction}`);
    return;
  }
  const seconds = Number(outputAction);
  setOutput(world, unit, outputNumber, true, `API pulse ${seconds} s`);
  const timer = world.timers.set(
    () => {
      unit.io.pulseTimers.delete(outputNumber);
      setOutput(world, unit, outputNumber, false, 'pulse ended');
    },
    seconds * 1000 * world.config.pulseTimeScale,
  );
  unit.io.pulseTimers.set(outputNumber, timer);
}

/** Carries out commands that waited while the unit was offline. */
export function flushPendingControl(world: World, unit: SimUnit): void {
  const pending = unit.io.pending.splice(0);
  for (const command of pending) applyCommand(world, unit, command);
}

function setOutput(world: World, unit: SimUnit, outputNumber: string, on: boolean, reason: string): void {
  if (unit.io.outputs.get(outputNumber) === on) return;
  unit.io.outputs.set(outputNumber, on);
  const now = Date.now();
  unit.io.statusMs = now;
  unit.lastSeenMs = now;
  addLog(
    world,
    unit,
    { eventType: 'OutputChanged', description: `${outputNumber} ${on ? 'ON' : 'OFF'} (${reason})` },
    now,
  );
  notifyStatusChanged(world, unit);
}

/**
 * Admin: inputs change state (a door opens, a button is pressed). Unknown input names → 400;
 * one status notification for the whole change.
 */
export function setInputs(world: World, unit: SimUnit, changes: Record<string, boolean>): void {
  for (const name of Object.keys(changes)) {
    if (!unit.io.inputs.has(name) && !unit.io.xInputs.has(name)) {
      throw new SimProblem(400, `Input ${name} does not exist on unit ${unit.unitId}`, {
        [`inputs.${name}`]: ['does not exist on this unit'],
      });
    }
  }
  const now = Date.now();
  let changed = false;
  for (const [name, on] of Object.entries(changes)) {
    const isX = unit.io.xInputs.has(name);
    const map = isX ? unit.io.xInputs : unit.io.inputs;
    if (map.get(name) === on) continue;
    map.set(name, on);
    changed = true;
    if (isX) unit.io.xInputsStatusMs = now;
    else unit.io.statusMs = now;
    addLog(world, unit, { eventType: 'InputChanged', description: `${name} ${on ? 'ON' : 'OFF'}` }, now);
  }
  if (changed) {
    unit.lastSeenMs = now;
    notifyStatusChanged(world, unit);
  }
}
