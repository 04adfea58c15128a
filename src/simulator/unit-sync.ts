import { z } from 'zod';
import { addLog } from './logs';
import { toIsoMs } from './time';
import { parseBody, type Query, queryInt, queryString } from './validation';
import {
  type PacketItem,
  type SimUnit,
  type SimUser,
  type SyncHistoryEntry,
  type SyncRun,
  type SyncStatusBody,
  toDeviceEntry,
  type World,
} from './world';

const MAX_HISTORY = 100;

// FLEXYKEY: the guide only shows `unitId`; `serialNumber` is accepted as everywhere else.
const unitRefSchema = z.object({
  unitId: z.int().positive().optional(),
  serialNumber: z.string().min(1).optional(),
});

export interface PushResult {
  unitId: number;
  status: 'Queued' | 'NoChanges' | 'AlreadyRunning';
  packetCount: number;
  message: string;
}

export interface AbortResult {
  unitId: number;
  status: 'Aborted' | 'NothingToAbort';
  clearedPackets: number;
}

function pending(run: SyncRun): number {
  return run.packets.length - run.packetsSent;
}

/** Everything the unit must learn: changed / deleted rows in id order, then changed settings. */
function collectChanges(unit: SimUnit): PacketItem[] {
  const items: PacketItem[] = [];
  for (const row of unit.entries.values()) {
    if (row.syncState === 'Changed') {
      items.push({ kind: 'entry', op: 'write', id: row.id, version: row.version, data: toDeviceEntry(row) });
    } else if (row.syncState === 'PendingDelete') {
      items.push({ kind: 'entry', op: 'delete', id: row.id, version: row.version });
    }
  }
  for (const [key, row] of unit.settings) {
    if (row.syncState !== 'Changed') continue;
    const data = { setting: row.setting, params: row.params, value: row.value, version: row.version };
    items.push({ kind: 'setting', key, version: row.version, data });
  }
  return items;
}

/** POST /UnitSync/PushChanges — snapshots what changed into packets and returns at once. */
export function pushChanges(world: World, user: SimUser, rawBody: unknown): PushResult {
  const unit = world.resolveUnit(user, parseBody(unitRefSchema, rawBody));
  const sync = unit.sync;
  const current = sync.current;
  if (current?.state === 'InProgress') {
    // The worker must never do this; tests assert the counter stays 0.
    sync.overlapViolations += 1;
    return {
      unitId: unit.unitId,
      status: 'AlreadyRunning',
      packetCount: pending(current),
      message: 'A unit programming is already in progress',
    };
  }
  // FLEXYKEY: a Failed / TimedOut sync keeps its packets pending until Abort; until then a new push
  // answers AlreadyRunning ("Use [Abort] when a sync has failed, timed out or must be restarted").
  if (current && (current.state === 'Failed' || current.state === 'TimedOut') && pending(current) > 0) {
    sync.pushesWhilePending += 1;
    return {
      unitId: unit.unitId,
      status: 'AlreadyRunning',
      packetCount: pending(current),
      message: `Previous unit programming ${current.state} with ${pending(current)} packets pending; call Abort first`,
    };
  }
  const items = collectChanges(unit);
  if (items.length === 0) {
    return { unitId: unit.unitId, status: 'NoChanges', packetCount: 0, message: 'No pending changes' };
  }
  const size = world.config.packetSize;
  const packets: PacketItem[][] = [];
  for (let i = 0; i < items.length; i += size) packets.push(items.slice(i, i + size));
  const now = Date.now();
  const runId = world.nextId('run');
  const history: SyncHistoryEntry = {
    runId,
    startedIso: toIsoMs(now),
    endedIso: null,
    state: 'InProgress',
    packetsTotal: packets.length,
    packetsSent: 0,
    rowsApplied: 0,
    settingsApplied: 0,
    clearedPackets: 0,
    abortedIso: null,
    message: '',
  };
  const run: SyncRun = {
    runId,
    startedMs: now,
    updatedMs: now,
    endedMs: null,
    state: 'InProgress',
    packets,
    packetsSent: 0,
    message: 'Unit programming queued',
    deliveryTimer: null,
    timeoutTimer: null,
    history,
  };
  sync.current = run;
  sync.history.push(history);
  if (sync.history.length > MAX_HISTORY) sync.history.splice(0, sync.history.length - MAX_HISTORY);
  armTimeout(world, unit, run);
  scheduleDelivery(world, unit, run);
  const entries = items.filter((i) => i.kind === 'entry').length;
  return {
    unitId: unit.unitId,
    status: 'Queued',
    packetCount: packets.length,
    message: `Queued ${packets.length} packets (${entries} ID entries, ${items.length - entries} settings)`,
  };
}

/** Starts the next packet's delivery if the run is live, the unit online and none is in flight. */
export function scheduleDelivery(world: World, unit: SimUnit, run: SyncRun): void {
  if (run.state !== 'InProgress' || run.deliveryTimer || !unit.online || pending(run) === 0) return;
  run.deliveryTimer = world.timers.set(() => {
    run.deliveryTimer = null;
    deliverPacket(world, unit, run);
  }, unit.packetLatencyMs);
}

/** Called when a unit comes back online: an unfinished sync continues. */
export function resumeSync(world: World, unit: SimUnit): void {
  const run = unit.sync.current;
  if (run) scheduleDelivery(world, unit, run);
}

/** The timeout counts from the last progress (push or acknowledged packet), not from the start. */
function armTimeout(world: World, unit: SimUnit, run: SyncRun): void {
  world.timers.clear(run.timeoutTimer);
  run.timeoutTimer = world.timers.set(() => {
    run.timeoutTimer = null;
    if (run.state !== 'InProgress') return;
    world.timers.clear(run.deliveryTimer);
    run.deliveryTimer = null;
    finish(
      world,
      unit,
      run,
      'TimedOut',
      `Unit programming timed out: no answer from the unit within ${world.config.syncTimeoutMs} ms`,
    );
  }, world.config.syncTimeoutMs);
}

function finish(world: World, unit: SimUnit, run: SyncRun, state: SyncRun['state'], message: string): void {
  const now = Date.now();
  world.timers.clear(run.timeoutTimer);
  run.timeoutTimer = null;
  run.state = state;
  run.endedMs = now;
  run.updatedMs = now;
  run.message = message;
  run.history.state = state;
  run.history.endedIso = toIsoMs(now);
  run.history.message = message;
  addLog(
    world,
    unit,
    {
      eventType: 'UnitProgramming',
      description: `${state}: ${run.packetsSent}/${run.packets.length} packets`,
    },
    now,
  );
  world.config.logger?.debug({ unitId: unit.unitId, runId: run.runId, state }, 'simulated sync ended');
}

function deliverPacket(world: World, unit: SimUnit, run: SyncRun): void {
  if (unit.sync.current !== run || run.state !== 'InProgress') return;
  // A packet in flight when the unit dropped off is simply not acknowledged; it is resent on return.
  if (!unit.online) return;
  if (unit.failAfterPackets !== null && run.packetsSent >= unit.failAfterPackets) {
    finish(
      world,
      unit,
      run,
      'Failed',
      `Unit programming failed: packet ${run.packetsSent + 1} of ${run.packets.length} was not acknowledged`,
    );
    return;
  }
  const packet = run.packets[run.packetsSent] as PacketItem[];
  for (const item of packet) {
    if (item.kind === 'setting') {
      unit.device.settings.set(item.key, { ...item.data });
      const row = unit.settings.get(item.key);
      // Settled only if nobody changed it after the snapshot; otherwise it stays Changed.
      if (row && row.version === item.version) row.syncState = 'Synced';
      run.history.settingsApplied += 1;
      continue;
    }
    const row = unit.entries.get(item.id);
    if (item.op === 'write') {
      unit.device.entries.set(item.id, { ...item.data });
      if (row && row.version === item.version && row.syncState === 'Changed') row.syncState = 'Synced';
    } else {
      unit.device.entries.delete(item.id);
      if (row && row.version === item.version && row.syncState === 'PendingDelete')
        world.removeEntry(unit, row);
    }
    run.history.rowsApplied += 1;
  }
  const now = Date.now();
  run.packetsSent += 1;
  run.history.packetsSent = run.packetsSent;
  run.updatedMs = now;
  unit.lastSeenMs = now;
  if (pending(run) === 0) {
    finish(world, unit, run, 'Completed', 'Unit programming completed');
    return;
  }
  run.message = `Unit programming in progress (${run.packetsSent}/${run.packets.length} packets)`;
  armTimeout(world, unit, run);
  scheduleDelivery(world, unit, run);
}

/** POST /UnitSync/Abort — stops the sync and clears its pending packets; undelivered rows stay Changed. */
export function abortSync(world: World, user: SimUser, rawBody: unknown): AbortResult {
  const unit = world.resolveUnit(user, parseBody(unitRefSchema, rawBody));
  const run = unit.sync.current;
  if (!run || run.state === 'Completed' || run.state === 'Aborted' || pending(run) === 0) {
    return { unitId: unit.unitId, status: 'NothingToAbort', clearedPackets: 0 };
  }
  const cleared = pending(run);
  world.timers.clear(run.deliveryTimer);
  run.deliveryTimer = null;
  const now = Date.now();
  const wasRunning = run.state === 'InProgress';
  if (wasRunning) {
    finish(world, unit, run, 'Aborted', `Unit programming aborted; ${cleared} packets cleared`);
  } else {
    run.state = 'Aborted';
    run.updatedMs = now;
    run.message = `Unit programming aborted; ${cleared} packets cleared`;
  }
  run.packets = run.packets.slice(0, run.packetsSent);
  run.history.clearedPackets = cleared;
  run.history.abortedIso = toIsoMs(now);
  return { unitId: unit.unitId, status: 'Aborted', clearedPackets: cleared };
}

function statusOf(unit: SimUnit): SyncStatusBody {
  const run = unit.sync.current;
  if (!run) {
    return {
      unitId: unit.unitId,
      active: false,
      state: 'None',
      progressPercent: 0,
      packetsTotal: 0,
      packetsSent: 0,
      startedIso: null,
      updatedIso: null,
      message: 'No active unit programming',
    };
  }
  // After Abort the cleared packets are gone: report the total that was queued.
  const total = run.history.packetsTotal;
  let message = run.message;
  if (run.state === 'InProgress' && !unit.online) message = `${message}; waiting for the unit (offline)`;
  return {
    unitId: unit.unitId,
    active: run.state === 'InProgress',
    state: run.state,
    progressPercent: total === 0 ? 0 : Math.floor((run.packetsSent * 100) / total),
    packetsTotal: total,
    packetsSent: run.packetsSent,
    startedIso: toIsoMs(run.startedMs),
    updatedIso: toIsoMs(run.updatedMs),
    message,
  };
}

/**
 * GET /UnitSync/Status?unitId (or serialNumber). FLEXYKEY: "Status responses have a short cache
 * guard, normally 2 seconds": per unit, an answer is reused for `statusCacheGuardMs`, so a poll right
 * after PushChanges can still show the previous sync's finished state.
 */
export function syncStatus(world: World, user: SimUser, query: Query): SyncStatusBody {
  const unit = world.resolveUnit(user, {
    unitId: queryInt(query, 'unitId', { min: 1 }),
    serialNumber: queryString(query, 'serialNumber'),
  });
  const guard = world.config.statusCacheGuardMs;
  const now = Date.now();
  const cached = unit.sync.statusCache;
  if (guard > 0 && cached && now - cached.atMs < guard) return cached.body;
  const body = statusOf(unit);
  unit.sync.statusCache = guard > 0 ? { atMs: now, body } : null;
  return body;
}

/** The live (uncached) status, for the admin view. */
export function liveSyncStatus(unit: SimUnit): SyncStatusBody {
  return statusOf(unit);
}
