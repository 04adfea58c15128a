/**
 * `npm run bench:client` — the FlexyKey client against the simulator (in its own process): create,
 * list and update ID entries at concurrency 1 and 32. In the same run, a baseline of raw undici
 * requests with the same bodies shows what the client itself costs (validation, zod parsing, retry
 * bookkeeping). Prints requests/s, p50/p99 latency and the peak RSS of both processes.
 */
import { Pool } from 'undici';
import { createFlexyKeyClient, type FlexyKeyClient } from '../src/flexykey';
import { BENCH_CREDENTIALS, benchSeed, startSimulatorProcess } from './lib/simulator-process';
import { formatMiB, formatMs, peakRssBytes, percentile, runConcurrently } from './lib/stats';

const UNITS = 50;
const PLAN: ReadonlyArray<{ concurrency: number; requests: number }> = [
  { concurrency: 1, requests: 1_000 },
  { concurrency: 32, requests: 6_000 },
];
const GOAL_RPS_AT_32 = 3_000;

interface Row {
  driver: 'client' | 'raw undici';
  operation: string;
  concurrency: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
}

interface Driver {
  name: Row['driver'];
  create(unitId: number, idNumber: string): Promise<number>;
  list(unitId: number, offset: number): Promise<unknown>;
  update(id: number, unitId: number, idNumber: string): Promise<unknown>;
  close(): Promise<void>;
}

function entryBody(unitId: number, idNumber: string, validToIso: string) {
  return {
    unitId,
    idNumber,
    name: 'Bench guest',
    description: 'fs:bench',
    action: 'R1',
    codeTag: String(100_000 + (Number(idNumber.slice(-5)) % 900_000)),
    validFromIso: '2026-12-01T14:00:00+01:00',
    validToIso,
  };
}

function clientDriver(client: FlexyKeyClient): Driver {
  return {
    name: 'client',
    async create(unitId, idNumber) {
      return (await client.unitIdEntries.create(entryBody(unitId, idNumber, '2026-12-04T12:00:00+01:00'))).id;
    },
    list: (unitId, offset) => client.unitIdEntries.list({ unitId, limit: 100, offset }),
    update: (id, unitId, idNumber) =>
      client.unitIdEntries.update(id, entryBody(unitId, idNumber, '2026-12-05T12:00:00+01:00')),
    close: () => client.close(),
  };
}

function rawDriver(baseUrl: string): Driver {
  const url = new URL(baseUrl);
  const pool = new Pool(url.origin, { connections: 32 });
  const authorization = `Basic ${Buffer.from(`${BENCH_CREDENTIALS.username}:${BENCH_CREDENTIALS.password}`).toString('base64')}`;
  const headers = { authorization, 'content-type': 'application/json', accept: 'application/json' };
  const send = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
    const response = await pool.request({
      method,
      path: `${url.pathname.replace(/\/$/, '')}${path}`,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.body.json()) as { id?: number };
    if (response.statusCode >= 300) throw new Error(`${method} ${path} → ${response.statusCode}`);
    return json;
  };
  return {
    name: 'raw undici',
    async create(unitId, idNumber) {
      const row = await send(
        'POST',
        '/UnitIdEntries',
        entryBody(unitId, idNumber, '2026-12-04T12:00:00+01:00'),
      );
      return row.id as number;
    },
    list: (unitId, offset) => send('GET', `/UnitIdEntries?unitId=${unitId}&limit=100&offset=${offset}`),
    update: (id, unitId, idNumber) =>
      send('PUT', `/UnitIdEntries/${id}`, entryBody(unitId, idNumber, '2026-12-05T12:00:00+01:00')),
    close: () => pool.close(),
  };
}

async function measure(
  driver: Driver,
  concurrency: number,
  requests: number,
  runTag: string,
): Promise<Row[]> {
  const unitOf = (i: number) => 10_001 + (i % UNITS);
  const idNumberOf = (i: number) => `${runTag}${String(i).padStart(6, '0')}`;
  const ids: number[] = new Array(requests);
  const rows: Row[] = [];
  const record = (operation: string, result: { latenciesMs: number[]; wallMs: number }) =>
    rows.push({
      driver: driver.name,
      operation,
      concurrency,
      requests,
      rps: requests / (result.wallMs / 1000),
      p50: percentile(result.latenciesMs, 50),
      p99: percentile(result.latenciesMs, 99),
    });

  record(
    'create',
    await runConcurrently(requests, concurrency, async (i) => {
      ids[i] = await driver.create(unitOf(i), idNumberOf(i));
    }),
  );
  record(
    'list (100/page)',
    await runConcurrently(requests, concurrency, (i) => driver.list(unitOf(i), (i % 5) * 100)),
  );
  record(
    'update',
    await runConcurrently(requests, concurrency, (i) =>
      driver.update(ids[i] as number, unitOf(i), idNumberOf(i)),
    ),
  );
  return rows;
}

async function main() {
  const simulator = await startSimulatorProcess(benchSeed(UNITS));
  const client = createFlexyKeyClient({
    baseUrl: simulator.baseUrl,
    ...BENCH_CREDENTIALS,
    maxConnections: 32,
  });
  const drivers = [clientDriver(client), rawDriver(simulator.baseUrl)];
  const rows: Row[] = [];
  try {
    // Warm-up: JIT both processes before anything is measured.
    await measure(drivers[0] as Driver, 8, 300, 'w');
    let run = 0;
    for (const { concurrency, requests } of PLAN) {
      for (const driver of drivers)
        rows.push(...(await measure(driver, concurrency, requests, `r${run++}-`)));
    }
  } finally {
    for (const driver of drivers) await driver.close();
  }
  const simulatorRss = await simulator.peakRssBytes();
  await simulator.stop();

  console.log(
    `\nFlexyKey client ↔ simulator (separate processes), ${UNITS} units, Node ${process.version}\n`,
  );
  console.log('driver      operation        conc  requests   req/s   p50 ms   p99 ms');
  for (const r of rows) {
    console.log(
      `${r.driver.padEnd(11)} ${r.operation.padEnd(16)} ${String(r.concurrency).padStart(4)} ${String(r.requests).padStart(9)} ${r.rps.toFixed(0).padStart(7)} ${formatMs(r.p50).padStart(8)} ${formatMs(r.p99).padStart(8)}`,
    );
  }
  const clientAt32 = rows.filter((r) => r.driver === 'client' && r.concurrency === 32);
  const rawAt32 = rows.filter((r) => r.driver === 'raw undici' && r.concurrency === 32);
  const mean = (xs: Row[]) => xs.reduce((s, r) => s + r.rps, 0) / xs.length;
  const clientRps = mean(clientAt32);
  console.log(`\nclient at concurrency 32: ${clientRps.toFixed(0)} req/s (mean over create/list/update)`);
  console.log(
    `raw undici baseline at 32: ${mean(rawAt32).toFixed(0)} req/s → client costs ${((1 - clientRps / mean(rawAt32)) * 100).toFixed(0)}%`,
  );
  console.log(
    `goal ≥ ${GOAL_RPS_AT_32} req/s at concurrency 32: ${clientRps >= GOAL_RPS_AT_32 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `peak RSS: benchmark (client) process ${formatMiB(peakRssBytes())} MiB, simulator process ${formatMiB(simulatorRss)} MiB`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
