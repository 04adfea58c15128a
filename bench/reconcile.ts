/**
 * `npm run bench:reconcile` — reconciliation at scale: 2,000 units × 50 owned entries in the simulator
 * (another process) and the matching records in Redis, with 10 % drift (a third of it entries missing
 * on the unit, a third hand-edited windows, a third orphaned entries). Prints the time to plan (a dry
 * run) and to apply, the FlexyKey calls, and peak RSS; checks that each unit's entries are read once.
 *
 * The plan is measured as an operator runs it — `flexysync reconcile --dry-run` (the built CLI in dist/,
 * so run `npm run build` first) in a process of its own, under /usr/bin/time for its peak RSS — and the
 * apply in this process.
 *
 * Environment: BENCH_UNITS (2000), BENCH_PER_UNIT (50), REDIS_URL (else a private redis-server).
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { parseConfig } from '../src/config';
import type { StoredBooking } from '../src/domain';
import { createLogger } from '../src/logging';
import { startEmbeddedRedis } from '../src/redis';
import type { SimulatorSeed } from '../src/simulator';
import { createBookingStore } from '../src/store';
import { createServices } from '../src/worker';
import { BENCH_CREDENTIALS, benchSeed, simulatorCalls, startSimulatorProcess } from './lib/simulator-process';
import { formatMiB, line, peakRssBytes } from './lib/stats';
import { BUILT_CLI, writeConfigFile } from './lib/worker-process';

const UNITS = Number(process.env.BENCH_UNITS ?? 2_000);
const PER_UNIT = Number(process.env.BENCH_PER_UNIT ?? 50);
const FIRST_UNIT = 10_001;
const GOALS = { planSeconds: 30, peakRssMiB: 300 };
const FROM = '2037-03-01T14:00:00.000Z';
const TO = '2037-03-04T10:00:00.000Z';

type SeedEntry = NonNullable<SimulatorSeed['idEntries']>[number];

/** The world before reconciliation: what the records say, what the units hold, and the drift between. */
function buildWorld() {
  const entries: SeedEntry[] = [];
  const records: StoredBooking[] = [];
  let id = 0;
  const drift = { missing: 0, drifted: 0, orphaned: 0 };
  for (let u = 0; u < UNITS; u++) {
    const unitId = FIRST_UNIT + u;
    for (let i = 0; i < PER_UNIT; i++) {
      id++;
      const externalId = `U${u}-B${i}`;
      const key = `bench/${externalId}`;
      const pin = String(100_000 + ((id * 7_919) % 899_999));
      const entry = {
        unitId,
        entryId: id,
        idNumber: `fs${String(id).padStart(10, '0')}`,
        action: 'R1',
        name: `Guest ${externalId}`.slice(0, 25),
        description: `fs:${externalId}`.slice(0, 25),
        codeTag: pin,
        validFromIso: FROM,
        validToIso: TO,
      };
      // 10 % drift, in three kinds.
      const kind = i % 10 === 0 ? ['missing', 'drifted', 'orphaned'][Math.floor(i / 10) % 3] : undefined;
      if (kind !== 'missing') {
        entries.push({
          id,
          unitId,
          idNumber: entry.idNumber,
          name: entry.name,
          description: entry.description,
          action: 'R1',
          codeTag: pin,
          validFromIso: FROM,
          validToIso: kind === 'drifted' ? '2037-03-05T10:00:00.000Z' : TO,
        });
      }
      if (kind) drift[kind as keyof typeof drift]++;
      if (kind === 'orphaned') continue;
      records.push({
        key,
        source: 'bench',
        externalId,
        resource: `room-${u}`,
        status: 'confirmed',
        pin,
        validFromIso: FROM,
        validToIso: TO,
        entries: [entry],
        event: {
          source: 'bench',
          externalId,
          resource: `room-${u}`,
          start: '2037-03-01T15:00:00+01:00',
          end: '2037-03-04T11:00:00+01:00',
          status: 'confirmed',
          guest: { name: `Guest ${externalId}` },
        },
        updatedIso: new Date().toISOString(),
      });
    }
  }
  return { entries, records, drift };
}

interface DryRunReport {
  units: { drifts: { kind: 'missing' | 'drifted' | 'orphaned' | 'expired' }[] }[];
}

/** `flexysync reconcile --dry-run --json` in its own process: wall time, peak RSS and its report. */
function runDryRunProcess(
  configInput: Record<string, unknown>,
  env: Record<string, string>,
  nowIso: string,
): Promise<{ seconds: number; peakRssBytes: number; report: DryRunReport }> {
  const configFile = writeConfigFile(configInput);
  const started = performance.now();
  const child = spawn(
    '/usr/bin/time',
    [
      '-f',
      'maxrss-kb=%M',
      process.execPath,
      ...(process.env.BENCH_CHILD_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
      BUILT_CLI,
      'reconcile',
      '--dry-run',
      '--json',
      '--now',
      nowIso,
    ],
    {
      env: { ...process.env, ...env, FLEXYSYNC_CONFIG: configFile, LOG_LEVEL: 'warn' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const rss = /maxrss-kb=(\d+)/.exec(stderr);
      // Exit 3: the dry run found changes (it should: the drift was seeded).
      if ((code !== 0 && code !== 3) || !rss) {
        reject(new Error(`dry run failed (exit ${code}): ${stderr.slice(0, 2_000)}`));
        return;
      }
      resolve({ seconds, peakRssBytes: Number(rss[1]) * 1024, report: JSON.parse(stdout) as DryRunReport });
    });
  });
}

async function main() {
  const world = buildWorld();
  const embedded = process.env.REDIS_URL ? undefined : await startEmbeddedRedis();
  const redisUrl = process.env.REDIS_URL ?? (embedded?.url as string);
  const simulator = await startSimulatorProcess({ ...benchSeed(UNITS), idEntries: world.entries });
  const prefix = `bench-reconcile-${Date.now()}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  try {
    const store = createBookingStore(redis, prefix);
    for (let i = 0; i < world.records.length; i += 5_000) {
      await Promise.all(world.records.slice(i, i + 5_000).map((record) => store.put(record)));
    }
    // Records stay in Redis from here on; the copy the benchmark built is not part of what is measured.
    const recordCount = world.records.length;
    world.records.length = 0;
    world.entries.length = 0;

    const resources = Object.fromEntries(
      Array.from({ length: UNITS }, (_, u) => [
        `room-${u}`,
        { timeZone: 'Europe/Stockholm', units: [{ unitId: FIRST_UNIT + u, action: 'R1' }] },
      ]),
    );
    // The same configuration for the dry-run process (as a file) and for the apply in this process.
    const configInput = {
      redis: { prefix },
      flexykey: {
        username: BENCH_CREDENTIALS.username,
        requestBudget: { maxRequests: 100_000, perSeconds: 1 },
      },
      resources,
    };
    const env = {
      REDIS_URL: redisUrl,
      FLEXYKEY_BASE_URL: simulator.baseUrl,
      FLEXYKEY_PASSWORD: BENCH_CREDENTIALS.password,
    };
    const config = parseConfig(configInput, env);
    const services = createServices({ config, logger: createLogger({ level: 'warn' }) });
    const now = DateTime.fromISO('2037-01-01T00:00:00Z');
    try {
      const before = await simulatorCalls(simulator.adminUrl);
      const dryRun = await runDryRunProcess(configInput, env, now.toISO() as string);
      const planSeconds = dryRun.seconds;
      const afterPlan = await simulatorCalls(simulator.adminUrl);
      const planReads = (afterPlan['GET /v1/UnitIdEntries'] ?? 0) - (before['GET /v1/UnitIdEntries'] ?? 0);
      const planRss = dryRun.peakRssBytes;
      const plan = dryRun.report;

      const applyStarted = performance.now();
      const applied = await services.reconciler.reconcile({ dryRun: false, now });
      const applySeconds = (performance.now() - applyStarted) / 1000;
      const afterApply = await simulatorCalls(simulator.adminUrl);
      const verify = await services.reconciler.reconcile({ dryRun: true, now });

      const counted = { missing: 0, drifted: 0, orphaned: 0, expired: 0 };
      for (const unit of plan.units) for (const d of unit.drifts) counted[d.kind]++;
      console.log(
        `\nreconcile: ${UNITS} units × ${PER_UNIT} owned entries, ${recordCount} records, Node ${process.version}`,
      );
      line(
        'drift seeded (missing / drifted / orphaned)',
        `${world.drift.missing} / ${world.drift.drifted} / ${world.drift.orphaned}`,
      );
      line(
        'drift planned (missing / drifted / orphaned)',
        `${counted.missing} / ${counted.drifted} / ${counted.orphaned}`,
      );
      line('plan (dry run)', `${planSeconds.toFixed(1)} s`);
      line(
        'GET /UnitIdEntries while planning',
        `${planReads} (${(planReads / UNITS).toFixed(2)} per unit: pages of 500)`,
      );
      line(
        'apply',
        `${applySeconds.toFixed(1)} s: ${applied.applied.bookingsRepaired} bookings repaired, ${applied.applied.orphansDeleted} orphans deleted, ${applied.applied.skipped.length} skipped`,
      );
      console.log('FlexyKey calls while applying:');
      for (const [key, n] of Object.entries(afterApply)) {
        const delta = n - (afterPlan[key] ?? 0);
        if (delta > 0) line(`  ${key}`, String(delta));
      }
      line(
        'drift left after applying (server side)',
        String(verify.units.reduce((s, u) => s + u.drifts.length, 0)),
      );
      line('peak RSS: the dry-run process', `${formatMiB(planRss)} MiB`);
      line('peak RSS: this process (apply, and the seeding)', `${formatMiB(peakRssBytes())} MiB`);
      line('peak RSS: simulator process', `${formatMiB(await simulator.peakRssBytes())} MiB`);
      console.log('\ngoals:');
      line(`  plan in < ${GOALS.planSeconds} s`, planSeconds < GOALS.planSeconds ? 'met' : 'NOT met');
      line(
        `  < ${GOALS.peakRssMiB} MB peak RSS while planning`,
        planRss / 1024 / 1024 < GOALS.peakRssMiB ? 'met' : 'NOT met',
      );
      line("  each unit's entries read once", planReads === UNITS ? 'met' : `NOT met (${planReads} reads)`);
    } finally {
      await services.close();
    }
  } finally {
    await redis.quit();
    await simulator.stop();
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
