import type { Dispatcher } from 'undici';
import type { Logger } from '../logging';
import { CallRecorder } from './calls';
import { FaultInjector, RequestBudget } from './faults';
import { forbidden, notFound, SimProblem } from './problem';
import type { ParsedSeed, SeedUnit } from './seed';
import { parseIsoInstant, toIso } from './time';
import { TimerSet } from './timers';

/** Tunables shared by every part of the simulator (see `SimulatorOptions` for defaults). */
export interface SimConfig {
  statusCacheGuardMs: number;
  syncTimeoutMs: number;
  packetSize: number;
  pulseTimeScale: number;
  random: () => number;
  logger: Logger | null;
  /** Sends webhook deliveries. */
  dispatcher: Dispatcher;
}

export interface SimUser {
  username: string;
  password: string;
  companyId: number;
}

export type RowSyncState = 'Synced' | 'Changed' | 'PendingDelete';

/** A server-side ID entry row (the API shape plus bookkeeping). */
export interface EntryRow {
  id: number;
  unitId: number;
  idNumber: string;
  name: string | null;
  description: string | null;
  action: string;
  codeTag: string | null;
  codeTagCalendar: number | null;
  validFromIso: string | null;
  validToIso: string | null;
  syncState: RowSyncState;
  /** Bumped whenever a field the unit holds changes; a delivered packet only settles its own version. */
  version: number;
  validFromMs: number | null;
  validToMs: number | null;
}

/** What the physical unit holds for one entry: only the fields that are sent to it. */
export interface DeviceEntry {
  id: number;
  idNumber: string;
  action: string;
  codeTag: string | null;
  codeTagCalendar: number | null;
  validFromIso: string | null;
  validToIso: string | null;
  validFromMs: number | null;
  validToMs: number | null;
  version: number;
}

export interface SettingRow {
  unitId: number;
  setting: string;
  params: string;
  value: string;
  syncState: 'Synced' | 'Changed';
  version: number;
}

export interface DeviceSetting {
  setting: string;
  params: string;
  value: string;
  version: number;
}

export type SyncRunState = 'InProgress' | 'Completed' | 'Failed' | 'TimedOut' | 'Aborted';

export type PacketItem =
  | { kind: 'entry'; op: 'write'; id: number; version: number; data: DeviceEntry }
  | { kind: 'entry'; op: 'delete'; id: number; version: number }
  | { kind: 'setting'; key: string; version: number; data: DeviceSetting };

export interface SyncHistoryEntry {
  runId: number;
  startedIso: string;
  endedIso: string | null;
  /** The outcome; `Aborted` only when aborted while still in progress. */
  state: SyncRunState;
  packetsTotal: number;
  packetsSent: number;
  rowsApplied: number;
  settingsApplied: number;
  clearedPackets: number;
  abortedIso: string | null;
  message: string;
}

export interface SyncRun {
  runId: number;
  startedMs: number;
  updatedMs: number;
  endedMs: number | null;
  state: SyncRunState;
  packets: PacketItem[][];
  packetsSent: number;
  message: string;
  deliveryTimer: NodeJS.Timeout | null;
  timeoutTimer: NodeJS.Timeout | null;
  history: SyncHistoryEntry;
}

export interface SyncStatusBody {
  unitId: number;
  active: boolean;
  state: SyncRunState | 'None';
  progressPercent: number;
  packetsTotal: number;
  packetsSent: number;
  startedIso: string | null;
  updatedIso: string | null;
  message: string;
}

export interface UnitSyncState {
  current: SyncRun | null;
  history: SyncHistoryEntry[];
  /** PushChanges received while a sync was InProgress. */
  overlapViolations: number;
  /** PushChanges refused because a Failed/TimedOut sync still had packets pending (no Abort yet). */
  pushesWhilePending: number;
  statusCache: { atMs: number; body: SyncStatusBody } | null;
}

export interface ControlCommand {
  outputNumber: string;
  outputAction: string;
}

export interface IoState {
  outputs: Map<string, boolean>;
  inputs: Map<string, boolean>;
  xInputs: Map<string, boolean>;
  statusMs: number;
  xInputsStatusMs: number | null;
  pulseTimers: Map<string, NodeJS.Timeout>;
  /** Commands sent while the unit was offline; applied when it comes back. */
  pending: ControlCommand[];
}

export interface UnitMessage {
  id: number;
  unitId: number;
  typeName: string;
  message: string;
  timestamp: string;
  timestampIso: string;
}

export interface UnitInfoState {
  lastQueuedMs: Map<string, number>;
  lastAnswer: Map<string, { ms: number; messageId: number }>;
  /** Commands queued while offline, answered when the unit comes back. */
  pending: string[];
  /** Newest last. */
  messages: UnitMessage[];
}

export interface WebhookConfig {
  unitId: number;
  event: string;
  callbackUrl: string;
  httpMethod: 'POST' | 'PUT' | 'PATCH';
  secret: string | null;
  apiKey: string | null;
  isActive: 0 | 1;
}

export interface LogRow {
  id: number;
  unitId: number;
  timestamp: string;
  timestampIso: string;
  eventType: string;
  idNumber: string | null;
  name: string | null;
  description: string | null;
  ms: number;
}

export interface SimUnit {
  meta: SeedUnit;
  unitId: number;
  serialNumber: string;
  companyId: number;
  online: boolean;
  packetLatencyMs: number;
  failAfterPackets: number | null;
  lastSeenMs: number;
  /** Output globalNumbers that exist on this unit (F1, F2, X…). */
  outputNumbers: Set<string>;
  /** Server rows in id order (ids only grow, so insertion order is id order). */
  entries: Map<number, EntryRow>;
  /** idNumber → row, including PendingDelete rows until a sync removes them. */
  idNumbers: Map<string, EntryRow>;
  /** `setting\u0000params` → row. */
  settings: Map<string, SettingRow>;
  device: { entries: Map<number, DeviceEntry>; settings: Map<string, DeviceSetting> };
  sync: UnitSyncState;
  io: IoState;
  unitInfo: UnitInfoState;
  webhooks: Map<string, WebhookConfig>;
  /** Newest last. */
  logs: LogRow[];
}

export interface Booking {
  bookingId: number;
  bookingObjectId: number;
  startIso: string;
  endIso: string;
  name: string | null;
  phone: string | null;
  externalRef: string | null;
  createdIso: string;
  startMs: number;
  endMs: number;
}

export interface BookingObject {
  bookingObjectId: number;
  companyId: number;
  name: string;
  unitId: number | null;
  bookings: Map<number, Booking>;
}

export interface WebhookDelivery {
  id: number;
  unitId: number;
  event: string;
  test: boolean;
  callbackUrl: string;
  httpMethod: string;
  atIso: string;
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  elapsedMs: number;
  headers: Record<string, string>;
  body: string;
}

const MAX_DELIVERIES = 1000;

type SequenceKind = 'entry' | 'log' | 'message' | 'booking' | 'command' | 'run' | 'delivery';

export function settingKey(setting: string, params: string): string {
  return `${setting}\u0000${params}`;
}

export function toDeviceEntry(row: EntryRow): DeviceEntry {
  return {
    id: row.id,
    idNumber: row.idNumber,
    action: row.action,
    codeTag: row.codeTag,
    codeTagCalendar: row.codeTagCalendar,
    validFromIso: row.validFromIso,
    validToIso: row.validToIso,
    validFromMs: row.validFromMs,
    validToMs: row.validToMs,
    version: row.version,
  };
}

/**
 * All mutable simulator state, built from one seed. Replacing the seed builds a new World and
 * disposes the old one (its timers die with it).
 */
export class World {
  readonly timers: TimerSet;
  readonly users = new Map<string, SimUser>();
  readonly companies = new Map<number, string>();
  readonly units = new Map<number, SimUnit>();
  readonly unitsBySerial = new Map<string, SimUnit>();
  readonly unitsByCompany = new Map<number, SimUnit[]>();
  readonly entries = new Map<number, EntryRow>();
  readonly bookingObjects = new Map<number, BookingObject>();
  readonly bookings = new Map<number, Booking>();
  readonly calls = new CallRecorder();
  readonly faults: FaultInjector;
  readonly budget = new RequestBudget();
  readonly deliveries: WebhookDelivery[] = [];
  readonly unitInfoLimits: ParsedSeed['unitInfoLimits'];
  private readonly authCache = new Map<string, SimUser | null>();
  private readonly sequences: Record<SequenceKind, number> = {
    entry: 0,
    log: 0,
    message: 0,
    booking: 0,
    command: 0,
    run: 0,
    delivery: 0,
  };

  constructor(
    readonly seed: ParsedSeed,
    readonly config: SimConfig,
  ) {
    this.timers = new TimerSet(config.logger);
    this.faults = new FaultInjector(config.random);
    this.unitInfoLimits = seed.unitInfoLimits;
    const now = Date.now();
    for (const c of seed.companies) this.companies.set(c.companyId, c.name);
    for (const u of seed.users) this.users.set(u.username, { ...u });
    for (const meta of seed.units) this.addUnit(meta, now);
    for (const b of seed.bookingObjects) {
      this.bookingObjects.set(b.bookingObjectId, { ...b, bookings: new Map() });
    }
    this.sequences.entry = Math.max(0, ...seed.idEntries.map((e) => e.id ?? 0));
    for (const e of seed.idEntries) {
      const unit = this.units.get(e.unitId) as SimUnit;
      const validFromMs = e.validFromIso === null ? null : parseIsoInstant(e.validFromIso);
      const validToMs = e.validToIso === null ? null : parseIsoInstant(e.validToIso);
      const row: EntryRow = {
        ...e,
        id: e.id ?? this.nextId('entry'),
        validFromIso: validFromMs === null ? null : toIso(validFromMs),
        validToIso: validToMs === null ? null : toIso(validToMs),
        validFromMs,
        validToMs,
        syncState: 'Synced',
        version: 1,
      };
      this.insertEntry(unit, row);
      unit.device.entries.set(row.id, toDeviceEntry(row));
    }
    for (const s of seed.settings) {
      const unit = this.units.get(s.unitId) as SimUnit;
      const key = settingKey(s.setting, s.params);
      unit.settings.set(key, { ...s, syncState: 'Synced', version: 1 });
      unit.device.settings.set(key, { setting: s.setting, params: s.params, value: s.value, version: 1 });
    }
  }

  private addUnit(meta: SeedUnit, now: number): void {
    const outputs = new Map<string, boolean>();
    const inputs = new Map<string, boolean>();
    const xInputs = new Map<string, boolean>();
    for (const io of meta.relays) outputs.set(io.globalNumber, false);
    for (const io of meta.inputs) inputs.set(io.globalNumber, false);
    for (const exp of meta.expansions) {
      for (const io of exp.relays) outputs.set(io.globalNumber, false);
      for (const io of exp.inputs) xInputs.set(io.globalNumber, false);
    }
    const lastSeen = meta.lastSeenIso ? parseIsoInstant(meta.lastSeenIso) : null;
    const unit: SimUnit = {
      meta,
      unitId: meta.unitId,
      serialNumber: meta.serialNumber,
      companyId: meta.companyId,
      online: meta.online,
      packetLatencyMs: meta.packetLatencyMs,
      failAfterPackets: meta.failAfterPackets,
      lastSeenMs: lastSeen ?? now,
      outputNumbers: new Set(outputs.keys()),
      entries: new Map(),
      idNumbers: new Map(),
      settings: new Map(),
      device: { entries: new Map(), settings: new Map() },
      sync: { current: null, history: [], overlapViolations: 0, pushesWhilePending: 0, statusCache: null },
      io: {
        outputs,
        inputs,
        xInputs,
        statusMs: now,
        xInputsStatusMs: xInputs.size > 0 ? now : null,
        pulseTimers: new Map(),
        pending: [],
      },
      unitInfo: { lastQueuedMs: new Map(), lastAnswer: new Map(), pending: [], messages: [] },
      webhooks: new Map(),
      logs: [],
    };
    this.units.set(unit.unitId, unit);
    this.unitsBySerial.set(unit.serialNumber, unit);
    const list = this.unitsByCompany.get(unit.companyId) ?? [];
    list.push(unit);
    this.unitsByCompany.set(unit.companyId, list);
  }

  nextId(kind: SequenceKind): number {
    this.sequences[kind] += 1;
    return this.sequences[kind];
  }

  insertEntry(unit: SimUnit, row: EntryRow): void {
    unit.entries.set(row.id, row);
    unit.idNumbers.set(row.idNumber, row);
    this.entries.set(row.id, row);
  }

  removeEntry(unit: SimUnit, row: EntryRow): void {
    unit.entries.delete(row.id);
    if (unit.idNumbers.get(row.idNumber) === row) unit.idNumbers.delete(row.idNumber);
    this.entries.delete(row.id);
  }

  /** Resolves an `Authorization` header to a user; the decoded result is cached per header value. */
  authenticate(header: string | undefined): SimUser | null {
    if (!header) return null;
    const cached = this.authCache.get(header);
    if (cached !== undefined) return cached;
    let user: SimUser | null = null;
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (match?.[1]) {
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        const candidate = this.users.get(decoded.slice(0, colon));
        if (candidate && candidate.password === decoded.slice(colon + 1)) user = candidate;
      }
    }
    if (this.authCache.size > 10_000) this.authCache.clear();
    this.authCache.set(header, user);
    return user;
  }

  /** The unit if it exists (404) and belongs to the user's company (403). */
  requireUnit(user: SimUser, unitId: number): SimUnit {
    const unit = this.units.get(unitId);
    if (!unit) throw notFound(`Unit ${unitId} not found`);
    if (unit.companyId !== user.companyId) throw forbidden(`No access to unit ${unitId}`);
    return unit;
  }

  /** Resolves `unitId` or `serialNumber` (both given must name the same unit). */
  resolveUnit(
    user: SimUser,
    ref: { unitId?: number | undefined; serialNumber?: string | undefined },
  ): SimUnit {
    if (ref.unitId === undefined && ref.serialNumber === undefined) {
      throw new SimProblem(400, 'unitId or serialNumber is required', {
        unitId: ['unitId or serialNumber is required'],
      });
    }
    if (ref.unitId !== undefined) {
      const unit = this.requireUnit(user, ref.unitId);
      if (ref.serialNumber !== undefined && ref.serialNumber !== unit.serialNumber) {
        throw new SimProblem(400, 'serialNumber does not belong to unitId', {
          serialNumber: ['serialNumber does not belong to unitId'],
        });
      }
      return unit;
    }
    const unit = this.unitsBySerial.get(ref.serialNumber as string);
    if (!unit) throw notFound(`Unit with serialNumber ${ref.serialNumber} not found`);
    if (unit.companyId !== user.companyId) throw forbidden(`No access to unit ${ref.serialNumber}`);
    return unit;
  }

  /** For the admin API: any unit, no scoping. */
  adminUnit(unitId: number): SimUnit {
    const unit = this.units.get(unitId);
    if (!unit) throw notFound(`Unit ${unitId} not found`);
    return unit;
  }

  recordDelivery(delivery: Omit<WebhookDelivery, 'id'>): WebhookDelivery {
    const row = { id: this.nextId('delivery'), ...delivery };
    this.deliveries.push(row);
    if (this.deliveries.length > MAX_DELIVERIES)
      this.deliveries.splice(0, this.deliveries.length - MAX_DELIVERIES);
    return row;
  }

  dispose(): void {
    this.timers.dispose();
  }
}
