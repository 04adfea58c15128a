import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli';
import { UNIT_SYNC_QUEUE } from '../../src/jobs';
import { findFreePort } from '../../src/redis';
import type { SimulatorSeed } from '../../src/simulator';
import { createUnitStore } from '../../src/store';
import { type CliResult, runCli as runSharedCli } from '../helpers/cli';
import { ENGINE_USER, type Engine, startEngine } from '../helpers/engine';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';
import { writeConfigFile } from '../helpers/worker-processes';

const ZONE = 'Europe/Stockholm';

/** Secrets and a PIN that must never appear in any command's output. */
const HAND_MADE_PIN = '915273';
const FEED_TOKEN = 'feedTokenZ9Q8';
const FEED_PASSWORD = 'feed-password-77';
const INTAKE_TOKEN = 'intake-token-0123456789abcdef';
const HOOK_SECRET = 'hook-secret-4f1c9a';
const HOOK_API_KEY = 'hook-api-key-88d2';
const URL_TOKEN = 'callbackToken55';

const OTHER_USER = { username: 'other', password: 'other-secret' };

const SEED: SimulatorSeed = {
  companies: [
    { companyId: 1, name: 'Ops AB' },
    { companyId: 2, name: 'Someone Else AB' },
  ],
  users: [
    { ...ENGINE_USER, companyId: 1 },
    { ...OTHER_USER, companyId: 2 },
  ],
  units: [
    {
      unitId: 7001,
      serialNumber: 'OPS7001',
      name: 'Front door',
      unitType: 'FlexyKey',
      companyId: 1,
      online: true,
      packetLatencyMs: 5,
      failAfterPackets: null,
      relays: [
        { localNumber: 1, globalNumber: 'F1', description: 'Door' },
        { localNumber: 2, globalNumber: 'F2', description: 'Gate' },
      ],
      inputs: [{ localNumber: 1, globalNumber: 'I1', description: 'Door contact' }],
      expansions: [],
      sensors: [{ id: 1, name: 'Temperature', unit: '°C' }],
      counters: [{ id: 1, name: 'Openings' }],
    },
    {
      unitId: 7002,
      serialNumber: 'OPS7002',
      name: 'Laundry',
      unitType: 'FlexyKey',
      companyId: 1,
      online: true,
      packetLatencyMs: 5,
      failAfterPackets: null,
      relays: [{ localNumber: 1, globalNumber: 'F1', description: 'Laundry lock' }],
      inputs: [],
      expansions: [
        {
          type: 'WEXP',
          number: 1,
          relays: [
            { localNumber: 1, globalNumber: 'X1', description: 'Sauna' },
            { localNumber: 2, globalNumber: 'X2', description: 'Gym' },
          ],
          inputs: [{ localNumber: 1, globalNumber: 'IX1', description: 'Sauna door' }],
        },
      ],
      sensors: [],
      counters: [],
    },
    {
      unitId: 7003,
      serialNumber: 'OPS7003',
      name: 'Boat gate',
      unitType: 'FlexyKey',
      companyId: 1,
      online: false,
      packetLatencyMs: 5,
      failAfterPackets: null,
      relays: [{ localNumber: 1, globalNumber: 'F1', description: 'Gate motor' }],
      inputs: [],
      expansions: [],
      sensors: [],
      counters: [],
    },
    {
      unitId: 8001,
      serialNumber: 'OTH8001',
      name: 'Not ours',
      unitType: 'FlexyKey',
      companyId: 2,
      online: true,
      packetLatencyMs: 5,
      failAfterPackets: null,
      relays: [{ localNumber: 1, globalNumber: 'F1', description: 'Their door' }],
      inputs: [],
      expansions: [],
      sensors: [],
      counters: [],
    },
  ],
  bookingObjects: [
    { bookingObjectId: 801, companyId: 1, name: 'Guest flat', unitId: 7001 },
    { bookingObjectId: 901, companyId: 2, name: 'Theirs', unitId: 8001 },
  ],
  idEntries: [
    {
      unitId: 7001,
      idNumber: '+46700000001',
      name: 'Caretaker',
      description: 'hand-made',
      action: 'R1',
      codeTag: HAND_MADE_PIN,
      codeTagCalendar: null,
      validFromIso: null,
      validToIso: null,
    },
  ],
  settings: [],
  // Long enough that the repeat requests below still fall inside them, however busy the machine.
  unitInfoLimits: {
    CHECKTEMP: { cacheSeconds: 600, rateLimitSeconds: 10 },
    CHECKTIME: { cacheSeconds: 60, rateLimitSeconds: 600 },
  },
};

/** Each test waits for its chain of commands, which may still be queued behind others. */
const CHAIN_TIMEOUT_MS = 120_000;
/** Children at once: the machine has few cores, and each child spends ~1 s of CPU starting up. */
const MAX_CHILDREN = 4;

/** Everything every command printed, checked for secrets and PINs at the end. */
const allOutput: string[] = [];

let engine: Engine;
/** A second simulator nobody should ever call: commands refused for bad arguments point at it. */
let tripwire: TestSimulator;
let baseEnv: Record<string, string>;
let tripwireEnv: Record<string, string>;

let running = 0;
const waiting: (() => void)[] = [];

/**
 * Runs `flexysync <args>` as a real process, asynchronously: the simulator and the worker run in
 * this process and must keep answering while the command runs.
 */
async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<CliResult> {
  if (running >= MAX_CHILDREN) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await spawnCli(args, env, timeoutMs);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

async function spawnCli(args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliResult> {
  const result = await runSharedCli(args, { env: { ...baseEnv, ...env }, timeoutMs });
  allOutput.push(result.stdout, result.stderr);
  return result;
}

const calls = (key: string) => engine.sim.simulator.callCount(key);

async function fOutput(unitId: number, output: string): Promise<string | undefined> {
  const res = await engine.sim.api('GET', `Control?unitId=${unitId}`, { user: ENGINE_USER });
  const outputs = res.body.fOutputs as { globalNumber: string; state: string }[];
  return outputs.find((o) => o.globalNumber === output)?.state;
}

async function addRow(unitId: number, idNumber: string): Promise<void> {
  const res = await engine.sim.api('POST', 'UnitIdEntries', {
    user: ENGINE_USER,
    body: { unitId, idNumber, action: 'R1' },
  });
  if (res.status !== 201) throw new Error(`adding ${idNumber} to unit ${unitId}: HTTP ${res.status}`);
}

function configWith(resources: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return writeConfigFile({ ...engine.configInput, resources, ...extra });
}

// ───────────── chains of commands ─────────────
// Each chain touches its own units (or only reads), so chains run side by side while each runs its
// own steps in order; the tests below await their chain's results.

async function unitsChain() {
  const port = await findFreePort();
  const [table, json, denied, noRedis] = await Promise.all([
    runCli(['units']),
    runCli(['units', '--json']),
    runCli(['units'], { FLEXYKEY_PASSWORD: 'not-the-password' }),
    runCli(['units', '--json'], { REDIS_URL: `redis://127.0.0.1:${port}` }),
  ]);
  return { table, json, denied, noRedis, port };
}

/** Unit 7001's outputs and unit 7003 (offline); the only chain that calls POST /Control. */
async function openChain() {
  const [pulse, on] = await Promise.all([
    runCli(['open', '--unit', '7001', '--output', 'f1', '--pulse', '600']),
    runCli(['open', '--unit', '7001', '--output', 'F2', '--on']),
  ]);
  const f1AfterPulse = await fOutput(7001, 'F1');
  const f2AfterOn = await fOutput(7001, 'F2');
  const off = await runCli(['open', '--unit', '7001', '--output', 'F1', '--off', '--json']);
  const f1AfterOff = await fOutput(7001, 'F1');
  const [badOutput, badPulse, conflicting, unknown, foreign, missing, offline] = await Promise.all([
    runCli(['open', '--unit', '7001', '--output', 'X65'], tripwireEnv),
    runCli(['open', '--unit', '7001', '--output', 'F1', '--pulse', '0'], tripwireEnv),
    runCli(['open', '--unit', '7001', '--output', 'F1', '--pulse', '5', '--on'], tripwireEnv),
    runCli(['open', '--unit', '9999', '--output', 'F1']),
    runCli(['open', '--unit', '8001', '--output', 'F1']),
    runCli(['open', '--unit', '7002', '--output', 'X9']),
    runCli(['open', '--unit', '7003', '--output', 'F1', '--pulse', '3']),
  ]);
  return {
    pulse,
    on,
    off,
    f1AfterPulse,
    f2AfterOn,
    f1AfterOff,
    bad: [badOutput, badPulse, conflicting],
    unknown,
    foreign,
    missing,
    offline,
    controlCalls: calls('POST /v1/Control'),
  };
}

/** Syncs of 7001 and 7002, an abort on 7003 (offline). */
async function syncChain() {
  await addRow(7001, 'OPS-ROW-1');
  // Slow enough that the command, polling every 50 ms, sees the sync running before it ends, however
  // busy the machine (under the simulator's 1 s sync timeout of the engine).
  engine.sim.simulator.updateUnit(7001, { packetLatencyMs: 900 });
  const synced = await runCli(['sync', '--unit', '7001', '--wait', '--interval', '50']).finally(() =>
    engine.sim.simulator.updateUnit(7001, { packetLatencyMs: 5 }),
  );
  const device7001 = engine.device(7001).map((e) => e.idNumber);

  const port = await findFreePort();
  const [unknown, noRedis] = await Promise.all([
    runCli(['sync', '--unit', '9999']),
    runCli(['sync', '--unit', '7001'], { REDIS_URL: `redis://127.0.0.1:${port}` }),
  ]);
  const queue = new Queue(UNIT_SYNC_QUEUE, { connection: engine.redis, prefix: engine.prefix });
  const queuedUnits = await queue
    .getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])
    .then((jobs) => jobs.map((job) => job.data.unitId as number))
    .finally(() => queue.close());

  // 7003 is offline: a push queues packets that never leave.
  await addRow(7003, 'OPS-ROW-3');
  const push = await engine.sim.api('POST', 'UnitSync/PushChanges', {
    user: ENGINE_USER,
    body: { unitId: 7003 },
  });
  const [stuck, idle, foreignAbort] = await Promise.all([
    runCli(['abort', '--unit', '7003', '--json']),
    runCli(['abort', '--unit', '7002']),
    runCli(['abort', '--unit', '8001']),
  ]);
  const stateAfterAbort = engine.sim.simulator.unit(7003).sync.status.state;

  engine.sim.simulator.updateUnit(7002, { failAfterPackets: 0 });
  await addRow(7002, 'OPS-ROW-2');
  const failed = await runCli(['sync', '--unit', '7002', '--wait', '--interval', '50', '--json']);
  engine.sim.simulator.updateUnit(7002, { failAfterPackets: null });
  const units = createUnitStore(engine.redis, engine.prefix);
  const recovered = await waitFor(async () => (await units.state(7002)).lastResult === 'completed', {
    timeoutMs: 20_000,
    description: 'unit 7002 synced after recovering',
  });
  return {
    synced,
    device7001,
    unknown,
    noRedis,
    port,
    queuedUnits,
    push,
    stuck,
    idle,
    foreignAbort,
    stateAfterAbort,
    failed,
    recovered,
  };
}

/** CHECK commands on 7001 and 7003. */
async function infoChain() {
  const [first, queuedOffline, malformed] = await Promise.all([
    runCli(['info', '--unit', '7001', '--profile', 'controlStatusMedium', '--interval', '100', '--json']),
    runCli(['info', '--unit', '7003', '--type', 'CHECKTIME', '--wait', '1']),
    runCli(['info', '--unit', '7001', '--type', 'TEMP'], tripwireEnv),
  ]);
  const [again, limited] = await Promise.all([
    runCli(['info', '--unit', '7001', '--type', 'checktemp']),
    runCli(['info', '--unit', '7003', '--type', 'CHECKTIME', '--wait', '0', '--json']),
  ]);
  return { first, again, queuedOffline, limited, malformed };
}

interface Delivery {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Webhooks of 7002, delivered to a receiver in this process; the only chain that calls PUT /Webhooks. */
async function webhooksChain(hookUrl: string, received: Delivery[]) {
  const secrets = { HOOK_SECRET_VAR: HOOK_SECRET, HOOK_KEY_VAR: HOOK_API_KEY };
  const register = (url: string, extra: string[] = [], env: Record<string, string> = secrets) =>
    runCli(['webhooks', 'register', '--unit', '7002', '--url', url, ...extra], env);
  const [created, unset, badUrl] = await Promise.all([
    register(`${hookUrl}/flexykey?token=${URL_TOKEN}`, [
      '--secret-env',
      'HOOK_SECRET_VAR',
      '--api-key-env',
      'HOOK_KEY_VAR',
    ]),
    register(`${hookUrl}/x`, ['--secret-env', 'NOT_SET_ANYWHERE'], tripwireEnv),
    register('ftp://example.com/hook', [], tripwireEnv),
  ]);
  const testDelivery = received.at(-1);
  const updated = await register(`${hookUrl}/flexykey`, ['--secret-env', 'HOOK_SECRET_VAR']);
  const list = await runCli(['webhooks', 'list', '--unit', '7002', '--json']);
  const broken = await register(`${hookUrl}/broken`);
  const afterBroken = engine.sim.simulator.unit(7002).webhooks;
  const deleted = await runCli(['webhooks', 'delete', '--unit', '7002']);
  const [deletedAgain, emptyList] = await Promise.all([
    runCli(['webhooks', 'delete', '--unit', '7002']),
    runCli(['webhooks', 'list', '--unit', '7002']),
  ]);
  return {
    created,
    unset,
    badUrl,
    testDelivery,
    updated,
    list,
    broken,
    afterBroken,
    deleted,
    deletedAgain,
    emptyList,
    putCalls: calls('PUT /v1/Webhooks'),
  };
}

const FEED_ENV = { FEED_PASSWORD_VAR: FEED_PASSWORD, FLEXYSYNC_INTAKE_TOKEN: INTAKE_TOKEN };

async function configChain() {
  const good = configWith(
    {
      'flat-1': { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }], bookingObjectId: 801 },
      laundry: { timeZone: ZONE, units: [{ unitId: 7002, action: 'G13' }] },
    },
    {
      http: { enabled: true },
      sources: {
        airbnb: {
          type: 'ical',
          url: `https://www.airbnb.example/calendar/ical/123.ics?s=${FEED_TOKEN}`,
          resources: ['flat-1'],
          auth: { username: 'owner', passwordEnv: 'FEED_PASSWORD_VAR' },
        },
      },
    },
  );
  const bad = configWith({
    ghost: { timeZone: ZONE, units: [{ unitId: 9999, action: 'R1' }] },
    stolen: { timeZone: ZONE, units: [{ unitId: 8001, action: 'R1' }], bookingObjectId: 901 },
    laundry: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R2' }] },
    flat: { timeZone: ZONE, bookingObjectId: 999 },
  });
  const gate = configWith({ gate: { timeZone: ZONE, units: [{ unitId: 7003, action: 'R1' }] } });
  const invalid = configWith({ gate: { timeZone: ZONE, units: [{ unitId: 7003, action: 'R9' }] } });
  const ghost = configWith({ ghost: { timeZone: ZONE, units: [{ unitId: 9999, action: 'R1' }] } });
  const [goodText, goodJson, badJson, warnings, invalidFile, offline] = await Promise.all([
    runCli(['config', 'check', '-c', good], FEED_ENV),
    runCli(['config', 'check', '-c', good, '--json'], FEED_ENV),
    runCli(['config', 'check', '-c', bad, '--json']),
    runCli(['config', 'check', '-c', gate]),
    runCli(['config', 'check', '-c', invalid]),
    runCli(['config', 'check', '--offline', '-c', ghost], tripwireEnv),
  ]);
  return { good, goodText, goodJson, badJson, warnings, invalidFile, offline };
}

/** Starts a chain now and lets its test await it; a failure surfaces in that test. */
function started<T>(chain: () => Promise<T>): Promise<T> {
  const promise = chain();
  promise.catch(() => {});
  return promise;
}

let chains: {
  units: ReturnType<typeof unitsChain>;
  open: ReturnType<typeof openChain>;
  sync: ReturnType<typeof syncChain>;
  info: ReturnType<typeof infoChain>;
  webhooks: ReturnType<typeof webhooksChain>;
  config: ReturnType<typeof configChain>;
};
let receiver: Server;
let hookUrl: string;
const received: Delivery[] = [];

beforeAll(async () => {
  engine = await startEngine({
    seed: SEED,
    resources: { 'flat-1': { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
  });
  tripwire = await startTestSimulator({ seed: SEED });
  baseEnv = { ...engine.env, FLEXYSYNC_CONFIG: writeConfigFile(engine.configInput) };
  tripwireEnv = { FLEXYKEY_BASE_URL: tripwire.baseUrl };
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.statusCode = req.url?.startsWith('/broken') ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  chains = {
    units: started(unitsChain),
    open: started(openChain),
    sync: started(syncChain),
    info: started(infoChain),
    webhooks: started(() => webhooksChain(hookUrl, received)),
    config: started(configChain),
  };
});

afterAll(async () => {
  // Whatever a failed test left running finishes before the engine goes away.
  await Promise.allSettled(Object.values(chains ?? {}));
  await new Promise((resolve) => receiver?.close(resolve));
  await engine?.close();
});

describe('--help of every operator verb', () => {
  /** Help text as commander prints it, `addHelpText` included (in-process: no need for a child). */
  function helpOf(words: string[]): string {
    let command: Command = buildProgram();
    for (const word of words) {
      const next = command.commands.find((c) => c.name() === word);
      if (!next) throw new Error(`no command ${words.join(' ')}`);
      command = next;
    }
    let text = '';
    command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    command.outputHelp();
    return text;
  }

  it.each([
    [
      ['config', 'check'],
      ['--offline', '--json', 'R1 and R2', 'access groups (G1–G99) cannot'],
    ],
    [['units'], ['--json']],
    [['sync'], ['--unit', '--wait', '--timeout']],
    [['abort'], ['--unit']],
    [['open'], ['--output', '--pulse', '--on', '--off']],
    [['info'], ['--profile', '--type', '--wait']],
    [
      ['webhooks', 'register'],
      ['--url', '--secret-env', '--api-key-env', '--no-test'],
    ],
    [
      ['webhooks', 'list'],
      ['--unit', '--json'],
    ],
    [
      ['webhooks', 'delete'],
      ['--unit', '--event'],
    ],
  ])('flexysync %j --help names its options and its exit codes', (words, expected) => {
    const help = helpOf(words);
    for (const text of expected) expect(help).toContain(text);
    expect(help).toMatch(/Exit codes: 0 /);
    expect(help).toContain('2 usage');
  });
});

describe('flexysync units', () => {
  it(
    "lists the account's units with their IO, as a table and as JSON (never another company's)",
    async () => {
      const { table, json } = await chains.units;
      expect(table.stderr).toBe('');
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^7001\s+yes\s+OPS7001\s+Front door$/m);
      expect(table.stdout).toMatch(/^7003\s+NO\s+OPS7003\s+Boat gate$/m);
      expect(table.stdout).toMatch(/relay\s+X2 \(Gym\)\s+WEXP 1 #2/);
      expect(table.stdout).toContain('configured: flat-1 R1');
      expect(table.stdout).not.toContain('8001');

      expect(json.code).toBe(0);
      const units = JSON.parse(json.stdout) as {
        unitId: number;
        online: boolean;
        relays: { globalNumber: string; description: string; localNumber: number }[];
        expansions: { relays: { globalNumber: string }[] }[];
        configuredAs: string[];
      }[];
      expect(units.map((u) => u.unitId)).toEqual([7001, 7002, 7003]);
      expect(units[0]?.relays).toEqual([
        { localNumber: 1, globalNumber: 'F1', description: 'Door' },
        { localNumber: 2, globalNumber: 'F2', description: 'Gate' },
      ]);
      expect(units[0]?.configuredAs).toEqual(['flat-1 R1']);
      expect(units[1]?.expansions[0]?.relays.map((r) => r.globalNumber)).toEqual(['X1', 'X2']);
      expect(units[2]?.online).toBe(false);
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'wrong credentials: exit 1 naming the user; Redis down: still answers, without the shared budget',
    async () => {
      const { denied, noRedis, port } = await chains.units;
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain("FlexyKey rejected the credentials of user 'engine' (401)");
      expect(noRedis.code).toBe(0);
      expect(noRedis.stderr).toContain(`cannot connect to Redis at redis://127.0.0.1:${port}`);
      expect(noRedis.stderr).toContain('without the shared request budget');
      expect((JSON.parse(noRedis.stdout) as unknown[]).length).toBe(3);
    },
    CHAIN_TIMEOUT_MS,
  );
});

describe('flexysync open', () => {
  it(
    'pulses, switches on and off through POST /Control, saying what it did',
    async () => {
      const { pulse, on, off, f1AfterPulse, f2AfterOn, f1AfterOff } = await chains.open;
      expect(pulse.stderr).toBe('');
      expect(pulse.code).toBe(0);
      expect(pulse.stdout.trim()).toBe('unit 7001 "Front door": F1 (Door) pulsed for 600 s (FlexyKey: OK)');
      expect(f1AfterPulse).toBe('ON');
      expect(on.code).toBe(0);
      expect(on.stdout.trim()).toBe('unit 7001 "Front door": F2 (Gate) switched ON (FlexyKey: OK)');
      expect(on.stderr).toContain(
        'F2 stays ON until switched off: flexysync open --unit 7001 --output F2 --off',
      );
      expect(f2AfterOn).toBe('ON');
      expect(off.code).toBe(0);
      expect(JSON.parse(off.stdout)).toMatchObject({
        unitId: 7001,
        outputNumber: 'F1',
        description: 'Door',
        outputAction: 'OFF',
        result: { status: 'OK' },
      });
      // The running 600 s pulse is cut short.
      expect(f1AfterOff).toBe('OFF');
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'a bad output or pulse is refused with exit 2 before any request is made',
    async () => {
      const { bad } = await chains.open;
      for (const result of bad) expect(result.code).toBe(2);
      expect(bad[0]?.stderr).toContain(
        "expected F1, F2 or X1–X64 (the output's globalNumber; see flexysync units), got 'X65'",
      );
      expect(bad[1]?.stderr).toContain("expected a pulse length of 1–99999 whole seconds, got '0'");
      expect(bad[2]?.stderr).toContain("cannot be used with option '--on'");
      expect(tripwire.simulator.calls().total).toBe(0);
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'unknown unit, another company’s unit, an output the unit lacks: exit 1, nothing sent; offline: exit 3',
    async () => {
      const { unknown, foreign, missing, offline, controlCalls } = await chains.open;
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('unit 9999 not found: the FlexyKey account has no such unit');
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toContain(
        "unit 8001: forbidden — it belongs to another company; FlexyKey user 'engine' has no rights to it",
      );
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        'unit 7002 has no output X9; its outputs: F1 (Laundry lock), X1 (Sauna), X2 (Gym)',
      );
      expect(offline.code).toBe(3);
      expect(offline.stdout).toContain('F1 (Gate motor) pulsed for 3 s');
      expect(offline.stderr).toContain('unit 7003 is offline');
      expect(offline.stderr).toContain('nothing happens at the door now');
      // pulse, on, off — and of the four above only the offline unit's command.
      expect(controlCalls).toBe(4);
    },
    CHAIN_TIMEOUT_MS,
  );
});

describe('flexysync sync and abort', () => {
  it(
    'sync --wait queues a sync, shows progress and ends when the unit has the change',
    async () => {
      const { synced, device7001 } = await chains.sync;
      expect(synced.code).toBe(0);
      expect(synced.stdout).toContain('unit 7001: sync queued');
      expect(synced.stdout).toMatch(/unit 7001: synced \(completed\) at \d{4}-/);
      expect(synced.stderr).toMatch(/^unit 7001: syncing \d+%$/m);
      expect(synced.stderr).not.toContain('no flexysync worker');
      expect(device7001).toContain('OPS-ROW-1');
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'sync of an unknown unit: exit 1 and nothing is queued; Redis down: exit 1 saying so',
    async () => {
      const { unknown, noRedis, port, queuedUnits } = await chains.sync;
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('unit 9999 not found');
      expect(queuedUnits).toContain(7001);
      expect(queuedUnits).not.toContain(9999);
      expect(noRedis.code).toBe(1);
      expect(noRedis.stderr).toContain(`cannot connect to Redis at redis://127.0.0.1:${port}`);
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'abort: a stuck sync is aborted and its packets cleared; an idle unit has nothing to abort',
    async () => {
      const { push, stuck, idle, foreignAbort, stateAfterAbort } = await chains.sync;
      expect(push.body.status).toBe('Queued');
      expect(stuck.code).toBe(0);
      expect(JSON.parse(stuck.stdout)).toMatchObject({ unitId: 7003, status: 'Aborted', clearedPackets: 1 });
      expect(stateAfterAbort).toBe('Aborted');
      expect(idle.code).toBe(0);
      expect(idle.stdout.trim()).toBe('unit 7002: nothing to abort (no sync running or pending)');
      expect(foreignAbort.code).toBe(1);
      expect(foreignAbort.stderr).toContain('unit 8001: forbidden');
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'sync --wait of a failing unit: exit 1 with the reason; the worker retries and succeeds once it recovers',
    async () => {
      const { failed, recovered } = await chains.sync;
      expect(failed.code).toBe(1);
      const outcome = JSON.parse(failed.stdout);
      expect(outcome).toMatchObject({
        unitId: 7002,
        finished: true,
        ok: false,
        state: { lastResult: 'failed' },
      });
      expect(outcome.state.lastError).toContain('Failed');
      expect(recovered).toBe(true);
    },
    CHAIN_TIMEOUT_MS,
  );
});

describe('flexysync info', () => {
  it(
    'queues a profile and shows each answer once, as it arrives; a repeat comes from the cache',
    async () => {
      const { first, again } = await chains.info;
      expect(first.code).toBe(0);
      const report = JSON.parse(first.stdout) as {
        requested: { typeName: string; status: string }[];
        answers: { id: number; typeName: string; message: string; via: string }[];
        unanswered: string[];
      };
      expect(report.requested.map((r) => [r.typeName, r.status])).toEqual([
        ['CHECKASTAT', 'Queued'],
        ['CHECKCOUNTERS', 'Queued'],
        ['CHECKTEMP', 'Queued'],
      ]);
      expect(report.answers.map((a) => a.typeName).sort()).toEqual([
        'CHECKASTAT',
        'CHECKCOUNTERS',
        'CHECKTEMP',
      ]);
      expect(new Set(report.answers.map((a) => a.id)).size).toBe(report.answers.length);
      expect(report.answers.every((a) => a.via === 'new')).toBe(true);
      expect(report.answers.find((a) => a.typeName === 'CHECKTEMP')?.message).toBe('TEMP 21.5C');
      expect(report.unanswered).toEqual([]);

      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^CHECKTEMP\s+answered from FlexyKey’s cache$/m);
      expect(again.stdout).toMatch(/CHECKTEMP\s+\S+Z\s+TEMP 21\.5C \(cached\)/);
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'an offline unit: queued, no answer within --wait (exit 3); asked again at once: rate limited',
    async () => {
      const { queuedOffline, limited } = await chains.info;
      expect(queuedOffline.code).toBe(3);
      expect(queuedOffline.stdout).toMatch(/^CHECKTIME\s+queued to the unit$/m);
      expect(queuedOffline.stderr).toContain('no answer within 1 s from: CHECKTIME (the unit is offline)');
      expect(limited.code).toBe(3);
      expect(JSON.parse(limited.stdout)).toMatchObject({
        requested: [{ typeName: 'CHECKTIME', status: 'RateLimited' }],
        answers: [],
        unanswered: ['CHECKTIME'],
      });
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'a malformed type is refused before any request (exit 2)',
    async () => {
      const { malformed } = await chains.info;
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toContain("expected a command type such as CHECKTEMP, got 'TEMP'");
      expect(tripwire.simulator.calls().total).toBe(0);
    },
    CHAIN_TIMEOUT_MS,
  );
});

describe('flexysync webhooks', () => {
  it(
    'register creates the webhook, tests it (signed delivery), and a second run updates it',
    async () => {
      const { created, testDelivery, updated, list } = await chains.webhooks;
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      expect(created.stdout).toContain('unit 7002: control.statusChanged webhook created');
      expect(created.stdout).toContain(`→ ${hookUrl}/flexykey?… (POST, signed, API key, active)`);
      expect(created.stdout).toMatch(/test delivery: delivered — HTTP 204 in \d+ ms/);
      expect(testDelivery?.url).toBe(`/flexykey?token=${URL_TOKEN}`);
      expect(testDelivery?.headers['x-webhook-test']).toBe('1');
      expect(testDelivery?.headers['x-api-key']).toBe(HOOK_API_KEY);
      expect(testDelivery?.headers['x-signature']).toBe(
        createHmac('sha256', HOOK_SECRET)
          .update(testDelivery?.body ?? '')
          .digest('hex'),
      );

      expect(updated.code).toBe(0);
      expect(updated.stdout).toContain('webhook updated');
      expect(updated.stdout).toContain('(POST, signed, no API key, active)');

      expect(list.code).toBe(0);
      const rows = JSON.parse(list.stdout) as unknown[];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        unitId: 7002,
        event: 'control.statusChanged',
        callbackUrl: `${hookUrl}/flexykey`,
        httpMethod: 'POST',
        hasSecret: true,
        hasApiKey: false,
        isActive: true,
      });
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'a test delivery that fails: exit 3, the webhook stays registered',
    async () => {
      const { broken, afterBroken } = await chains.webhooks;
      expect(broken.code).toBe(3);
      expect(broken.stderr).toContain('deliveries are not signed');
      expect(broken.stdout).toContain('test delivery: NOT delivered — HTTP 500');
      expect(afterBroken).toEqual([
        expect.objectContaining({ callbackUrl: `${hookUrl}/broken`, httpMethod: 'POST' }),
      ]);
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'delete removes it (and says so when there is none)',
    async () => {
      const { deleted, deletedAgain, emptyList } = await chains.webhooks;
      expect(deleted.code).toBe(0);
      expect(deleted.stdout.trim()).toBe('unit 7002: control.statusChanged webhook deleted');
      expect(deletedAgain.code).toBe(0);
      expect(deletedAgain.stdout.trim()).toBe(
        'unit 7002: no control.statusChanged webhook; nothing to delete',
      );
      expect(emptyList.stdout.trim()).toBe('unit 7002: no webhooks');
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'an unset secret variable or a bad URL: exit 2, nothing sent',
    async () => {
      const { unset, badUrl, putCalls } = await chains.webhooks;
      expect(unset.code).toBe(2);
      expect(unset.stderr).toContain('--secret-env: the environment variable NOT_SET_ANYWHERE is not set');
      expect(badUrl.code).toBe(2);
      expect(badUrl.stderr).toContain('expected an absolute http(s) URL');
      expect(tripwire.simulator.calls().total).toBe(0);
      // created, updated, broken.
      expect(putCalls).toBe(3);
    },
    CHAIN_TIMEOUT_MS,
  );
});

describe('flexysync config check', () => {
  it(
    'a good configuration: exit 0, printed with every secret masked, each unit and action confirmed',
    async () => {
      const { good, goodText: text, goodJson: json } = await chains.config;
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`configuration ${good}: valid`);
      expect(text.stdout).toContain('password: "********"');
      expect(text.stdout).toContain('intakeToken: "********"');
      expect(text.stdout).toContain('url: https://www.airbnb.example/…/…/…?…');
      expect(text.stdout).toContain('passwordEnv: FEED_PASSWORD_VAR');
      expect(text.stdout).toMatch(
        /ok\s+resources\.flat-1\.units\[0\] \(unit 7001, R1\): R1 → relay F1 \(Door\) on unit "Front door"/,
      );
      expect(text.stdout).toMatch(
        /note\s+resources\.laundry\.units\[0\] \(unit 7002, G13\): .*cannot be checked/,
      );
      expect(text.stdout).toMatch(/ok\s+resources\.flat-1\.bookingObjectId \(801\): booking object found/);
      expect(text.stdout).toContain('0 errors, 0 warnings');

      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report).toMatchObject({ valid: true, errors: 0, warnings: 0 });
      expect(report.config.flexykey).toMatchObject({ username: 'engine', password: '********' });
      expect(report.findings.filter((f: { level: string }) => f.level === 'ok')).toHaveLength(3);
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'unknown unit, another company’s unit and booking object, a missing relay: each reported by its key, exit 1',
    async () => {
      const { badJson: result } = await chains.config;
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as {
        errors: number;
        findings: { level: string; subject: string; message: string }[];
      };
      const errors = report.findings.filter((f) => f.level === 'error');
      expect(errors.map((f) => f.subject)).toEqual([
        'resources.ghost.units[0] (unit 9999, R1)',
        'resources.stolen.units[0] (unit 8001, R1)',
        'resources.laundry.units[0] (unit 7002, R2)',
        'resources.stolen.bookingObjectId (901)',
        'resources.flat.bookingObjectId (999)',
      ]);
      expect(errors[0]?.message).toContain('not found');
      expect(errors[1]?.message).toContain(
        "belongs to another company; FlexyKey user 'engine' has no rights to it",
      );
      expect(errors[2]?.message).toBe(
        'action R2 needs relay F2, which unit "Laundry" does not have; its relays: F1 (Laundry lock)',
      );
      expect(errors[3]?.message).toContain('forbidden');
      expect(errors[4]?.message).toBe('booking object 999 not found on the account');
      expect(report.errors).toBe(5);
    },
    CHAIN_TIMEOUT_MS,
  );

  it(
    'warnings only (an offline unit): exit 3; an invalid file: exit 1 naming the key; --offline calls nothing',
    async () => {
      const { warnings, invalidFile, offline } = await chains.config;
      expect(warnings.code).toBe(3);
      expect(warnings.stdout).toMatch(/WARNING\s+unit 7003 "Boat gate": offline/);
      expect(warnings.stdout).toContain('0 errors, 1 warning');
      expect(invalidFile.code).toBe(1);
      expect(invalidFile.stderr).toContain(
        "resources.gate.units[0].action: expected R1, R2 or G1–G99, got 'R9'",
      );
      expect(offline.code).toBe(0);
      expect(offline.stdout).toContain('Redis and FlexyKey not contacted (--offline)');
      expect(tripwire.simulator.calls().total).toBe(0);
    },
    CHAIN_TIMEOUT_MS,
  );
});

describe('output hygiene', () => {
  it(
    'no command printed a password, token, secret or PIN',
    async () => {
      await Promise.all(Object.values(chains));
      const text = allOutput.join('\n');
      expect(text.length).toBeGreaterThan(1_000);
      for (const secret of [
        ENGINE_USER.password,
        'not-the-password',
        FEED_TOKEN,
        FEED_PASSWORD,
        INTAKE_TOKEN,
        HOOK_SECRET,
        HOOK_API_KEY,
        URL_TOKEN,
        HAND_MADE_PIN,
      ]) {
        expect(text).not.toContain(secret);
      }
    },
    CHAIN_TIMEOUT_MS,
  );
});
