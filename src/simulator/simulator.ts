import { z } from 'zod';
import { type AccessAttempt, type AccessDecision, simulateAccess } from './access';
import type { CallsView } from './calls';
import { flushPendingControl, setInputs } from './control';
import {
  type BudgetConfig,
  type BudgetView,
  type FaultRuleInput,
  type FaultRuleView,
  faultListSchema,
} from './faults';
import { type EntryApiRow, entryToApi } from './id-entries';
import { type ControlStatus, controlStatus } from './io-status';
import { type ParsedSeed, parseSeed, type SimulatorSeed, simulatorSeedSchema } from './seed';
import { toIso } from './time';
import { flushPendingUnitInfo } from './unit-info';
import { liveSyncStatus, resumeSync } from './unit-sync';
import { parseBody } from './validation';
import {
  type SimConfig,
  type SimUnit,
  type SyncHistoryEntry,
  type SyncStatusBody,
  type WebhookDelivery,
  World,
} from './world';

export const unitPatchSchema = z.object({
  online: z.boolean().optional(),
  packetLatencyMs: z.int().min(0).max(600_000).optional(),
  /** Every later sync fails after this many delivered packets; null = never. */
  failAfterPackets: z.int().min(0).nullable().optional(),
  /** Input globalNumber → active (e.g. `{ "IX1": true }`); a change notifies webhooks. */
  inputs: z.record(z.string(), z.boolean()).optional(),
  /**
   * The physical unit was swapped for a new one: its device memory is empty, while the server still
   * believes every row is synced (what `flexysync resync --unit` is for).
   */
  replaced: z.literal(true).optional(),
});

export type UnitPatch = z.input<typeof unitPatchSchema>;

export interface UnitSummary {
  unitId: number;
  serialNumber: string;
  name: string;
  companyId: number;
  online: boolean;
  packetLatencyMs: number;
  failAfterPackets: number | null;
  rows: { total: number; synced: number; changed: number; pendingDelete: number };
  deviceEntries: number;
  syncState: SyncStatusBody['state'];
  overlapViolations: number;
}

export interface SimulatorSummary {
  units: UnitSummary[];
  bookings: number;
  calls: CallsView;
  faults: FaultRuleView[];
  budget: BudgetView;
  webhookDeliveries: number;
  /** Overlap violations over all units (must stay 0 under a correct worker). */
  overlapViolations: number;
}

export interface DeviceEntryView {
  id: number;
  idNumber: string;
  action: string;
  codeTag: string | null;
  codeTagCalendar: number | null;
  validFromIso: string | null;
  validToIso: string | null;
}

export interface UnitDetail {
  unitId: number;
  serialNumber: string;
  name: string;
  companyId: number;
  online: boolean;
  packetLatencyMs: number;
  failAfterPackets: number | null;
  lastSeenIso: string;
  /** Server-side rows (what the API returns). */
  rows: EntryApiRow[];
  /** Server-side settings, values unmasked. */
  settings: { setting: string; params: string; value: string; syncState: string }[];
  /** What the physical unit really holds after the syncs so far. */
  deviceMemory: {
    entries: DeviceEntryView[];
    settings: { setting: string; params: string; value: string }[];
  };
  sync: {
    status: SyncStatusBody;
    pendingPackets: number;
    history: SyncHistoryEntry[];
    overlapViolations: number;
    pushesWhilePending: number;
  };
  io: ControlStatus;
  webhooks: { event: string; callbackUrl: string; httpMethod: string; isActive: 0 | 1 }[];
  pendingControlCommands: number;
  pendingUnitInfoCommands: number;
}

function summarise(unit: SimUnit): UnitSummary {
  const rows = { total: 0, synced: 0, changed: 0, pendingDelete: 0 };
  for (const row of unit.entries.values()) {
    rows.total += 1;
    if (row.syncState === 'Synced') rows.synced += 1;
    else if (row.syncState === 'Changed') rows.changed += 1;
    else rows.pendingDelete += 1;
  }
  return {
    unitId: unit.unitId,
    serialNumber: unit.serialNumber,
    name: unit.meta.name,
    companyId: unit.companyId,
    online: unit.online,
    packetLatencyMs: unit.packetLatencyMs,
    failAfterPackets: unit.failAfterPackets,
    rows,
    deviceEntries: unit.device.entries.size,
    syncState: liveSyncStatus(unit).state,
    overlapViolations: unit.sync.overlapViolations,
  };
}

/**
 * The simulator's in-process state and its admin operations (the `/__admin/` routes call exactly
 * these). Every method sees the current world; `loadSeed` / `reset` replace it.
 */
export class Simulator {
  private current: World;
  private readonly startupSeed: ParsedSeed;

  constructor(
    seed: SimulatorSeed,
    private readonly config: SimConfig,
  ) {
    this.startupSeed = parseSeed(seed);
    this.current = new World(this.startupSeed, config);
  }

  /** @internal the live state, for the HTTP layer. */
  get world(): World {
    return this.current;
  }

  summary(): SimulatorSummary {
    const world = this.current;
    const units = [...world.units.values()].map(summarise);
    return {
      units,
      bookings: world.bookings.size,
      calls: world.calls.view(),
      faults: world.faults.view(),
      budget: world.budget.view(),
      webhookDeliveries: world.deliveries.length,
      overlapViolations: units.reduce((sum, u) => sum + u.overlapViolations, 0),
    };
  }

  unit(unitId: number): UnitDetail {
    const unit = this.current.adminUnit(unitId);
    const run = unit.sync.current;
    return {
      unitId: unit.unitId,
      serialNumber: unit.serialNumber,
      name: unit.meta.name,
      companyId: unit.companyId,
      online: unit.online,
      packetLatencyMs: unit.packetLatencyMs,
      failAfterPackets: unit.failAfterPackets,
      lastSeenIso: toIso(unit.online ? Date.now() : unit.lastSeenMs),
      rows: [...unit.entries.values()].map(entryToApi),
      settings: [...unit.settings.values()].map((s) => ({
        setting: s.setting,
        params: s.params,
        value: s.value,
        syncState: s.syncState,
      })),
      deviceMemory: {
        entries: [...unit.device.entries.values()]
          .sort((a, b) => a.id - b.id)
          .map((e) => ({
            id: e.id,
            idNumber: e.idNumber,
            action: e.action,
            codeTag: e.codeTag,
            codeTagCalendar: e.codeTagCalendar,
            validFromIso: e.validFromIso,
            validToIso: e.validToIso,
          })),
        settings: [...unit.device.settings.values()].map((s) => ({
          setting: s.setting,
          params: s.params,
          value: s.value,
        })),
      },
      sync: {
        status: liveSyncStatus(unit),
        pendingPackets: run ? run.packets.length - run.packetsSent : 0,
        history: unit.sync.history.map((h) => ({ ...h })),
        overlapViolations: unit.sync.overlapViolations,
        pushesWhilePending: unit.sync.pushesWhilePending,
      },
      io: controlStatus(unit),
      webhooks: [...unit.webhooks.values()].map((w) => ({
        event: w.event,
        callbackUrl: w.callbackUrl,
        httpMethod: w.httpMethod,
        isActive: w.isActive,
      })),
      pendingControlCommands: unit.io.pending.length,
      pendingUnitInfoCommands: unit.unitInfo.pending.length,
    };
  }

  /** Takes a unit on/offline, changes its latency or failure point, or flips inputs. */
  updateUnit(unitId: number, patch: UnitPatch): UnitDetail {
    const world = this.current;
    const unit = world.adminUnit(unitId);
    const body = parseBody(unitPatchSchema, patch);
    if (body.inputs) setInputs(world, unit, body.inputs);
    if (body.packetLatencyMs !== undefined) unit.packetLatencyMs = body.packetLatencyMs;
    if (body.failAfterPackets !== undefined) unit.failAfterPackets = body.failAfterPackets;
    if (body.replaced) {
      unit.device.entries.clear();
      unit.device.settings.clear();
    }
    if (body.online !== undefined && body.online !== unit.online) {
      unit.online = body.online;
      unit.lastSeenMs = Date.now();
      if (unit.online) {
        resumeSync(world, unit);
        flushPendingControl(world, unit);
        flushPendingUnitInfo(world, unit);
      }
    }
    return this.unit(unitId);
  }

  /** A person at the door presents a PIN or calls; the unit decides from its device memory. */
  simulateAccess(unitId: number, attempt: AccessAttempt): AccessDecision {
    const world = this.current;
    return simulateAccess(world, world.adminUnit(unitId), attempt);
  }

  calls(): CallsView {
    return this.current.calls.view();
  }

  /** Calls of one normalised route, e.g. `"POST /v1/UnitSync/PushChanges"`. */
  callCount(key: string): number {
    return this.current.calls.count(key);
  }

  resetCalls(): void {
    this.current.calls.reset();
  }

  /** Replaces all fault rules (validated; throws a 400 SimProblem on bad rules). */
  setFaults(rules: FaultRuleInput[]): FaultRuleView[] {
    this.current.faults.set(parseBody(z.object({ faults: faultListSchema }), { faults: rules }).faults);
    return this.current.faults.view();
  }

  faults(): FaultRuleView[] {
    return this.current.faults.view();
  }

  clearFaults(): void {
    this.current.faults.clear();
  }

  /** Sets (or with null removes) the per-user request budget. */
  setBudget(budget: BudgetConfig): BudgetView {
    this.current.budget.set(budget);
    return this.current.budget.view();
  }

  budget(): BudgetView {
    return this.current.budget.view();
  }

  webhookDeliveries(): WebhookDelivery[] {
    return this.current.deliveries.map((d) => ({ ...d }));
  }

  clearWebhookDeliveries(): void {
    this.current.deliveries.length = 0;
  }

  /**
   * Replaces all state (units, rows, device memory, faults, budget, counters) from a seed; an invalid
   * seed throws a 400 SimProblem naming the bad paths and leaves the current state alone.
   */
  loadSeed(seed: SimulatorSeed): SimulatorSummary {
    const parsed = parseBody(simulatorSeedSchema, seed);
    this.current.dispose();
    this.current = new World(parsed, this.config);
    return this.summary();
  }

  /** Back to the seed the simulator started with. */
  reset(): SimulatorSummary {
    this.current.dispose();
    this.current = new World(this.startupSeed, this.config);
    return this.summary();
  }

  /** Stops every timer. */
  dispose(): void {
    this.current.dispose();
  }
}
