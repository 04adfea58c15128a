import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { Logger } from '../logging';
import { ADMIN_PREFIX, API_PREFIX, buildApp } from './app';
import { loadSeedFile, type SimulatorSeed } from './seed';
import { Simulator } from './simulator';
import type { SimConfig } from './world';

export interface SimulatorOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** The starting world. @default the shipped config/simulator-seed.json */
  seed?: SimulatorSeed;
  /** GET /UnitSync/Status returns the same snapshot for this long per unit. @default 2000 */
  statusCacheGuardMs?: number;
  /** A sync with no progress for this long becomes TimedOut. @default 60_000 */
  syncTimeoutMs?: number;
  /** ID entries (or settings) per sync packet. @default 10 */
  packetSize?: number;
  /** Largest accepted request body; above it → 413. @default 1_048_576 (1 MiB) */
  bodyLimitBytes?: number;
  /** Multiplies Control pulse seconds (tests use e.g. 0.001). @default 1 */
  pulseTimeScale?: number;
  /** Random source for fault injection. @default Math.random */
  random?: () => number;
  /** Where the simulator logs (never per request). @default false (silent) */
  logger?: Logger | false;
}

export interface RunningSimulator {
  /** `http://127.0.0.1:PORT/v1/` */
  baseUrl: string;
  /** `http://127.0.0.1:PORT/__admin/` */
  adminUrl: string;
  port: number;
  /** In-process state and admin operations (the same as the admin API). */
  simulator: Simulator;
  /** Stops timers, closes connections and the server. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts the FlexyKey simulator: a real HTTP server on `host:port`. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ? options.logger : null;
  const dispatcher = new Agent({ connect: { timeout: 5_000 }, keepAliveTimeout: 1_000 });
  const config: SimConfig = {
    statusCacheGuardMs: options.statusCacheGuardMs ?? 2_000,
    syncTimeoutMs: options.syncTimeoutMs ?? 60_000,
    packetSize: Math.max(1, options.packetSize ?? 10),
    pulseTimeScale: options.pulseTimeScale ?? 1,
    random: options.random ?? Math.random,
    logger,
    dispatcher,
  };
  const simulator = new Simulator(options.seed ?? loadSeedFile(), config);
  const app = buildApp(simulator, { bodyLimitBytes: options.bodyLimitBytes ?? 1_048_576, logger });
  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (error) {
    simulator.dispose();
    await dispatcher.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  // A wildcard bind is still reached through loopback.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${port}`;
  logger?.info({ baseUrl: `${origin}${API_PREFIX}/` }, 'FlexyKey simulator listening');
  let closing: Promise<void> | null = null;
  return {
    baseUrl: `${origin}${API_PREFIX}/`,
    adminUrl: `${origin}${ADMIN_PREFIX}/`,
    port,
    simulator,
    close() {
      closing ??= (async () => {
        simulator.dispose();
        await app.close();
        await dispatcher.destroy();
      })();
      return closing;
    },
  };
}
