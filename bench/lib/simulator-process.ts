import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { SimulatorSeed } from '../../src/simulator';

export interface SimulatorProcess {
  baseUrl: string;
  adminUrl: string;
  peakRssBytes(): Promise<number>;
  /** Peak RSS and CPU time (user + system) of the simulator process so far. */
  usage(): Promise<{ peakRssBytes: number; cpuMs: number }>;
  stop(): Promise<void>;
}

/** Forks bench/lib/simulator-child.ts (through tsx) and waits until it listens. */
export async function startSimulatorProcess(
  seed: SimulatorSeed,
  options: { statusCacheGuardMs?: number; packetSize?: number } = {},
): Promise<SimulatorProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'simulator-child.ts'), [], {
    // BENCH_SIMULATOR_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to profile the simulator.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_SIMULATOR_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ baseUrl: string; adminUrl: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator process exited early (code ${code})`)));
    child.on('message', (message: { type: string; baseUrl: string; adminUrl: string }) => {
      if (message.type === 'ready') resolve(message);
    });
    child.send({ type: 'start', seed, ...options });
  });
  child.removeAllListeners('exit');
  const usage = () =>
    new Promise<{ peakRssBytes: number; cpuMs: number }>((resolve) => {
      const onMessage = (message: { type: string; peakRssBytes: number; cpuMs: number }) => {
        if (message.type !== 'rss') return;
        child.off('message', onMessage);
        resolve({ peakRssBytes: message.peakRssBytes, cpuMs: message.cpuMs });
      };
      child.on('message', onMessage);
      child.send({ type: 'rss' });
    });
  return {
    ...ready,
    usage,
    peakRssBytes: async () => (await usage()).peakRssBytes,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** A seed with one company, one user and `unitCount` quick units (ids from 10_001). */
export function benchSeed(unitCount: number, packetLatencyMs = 5): SimulatorSeed {
  return {
    companies: [{ companyId: 1, name: 'Bench AB' }],
    users: [{ username: 'bench', password: 'bench-secret', companyId: 1 }],
    units: Array.from({ length: unitCount }, (_, i) => ({
      unitId: 10_001 + i,
      serialNumber: `BENCH${String(10_001 + i).padStart(10, '0')}`,
      name: `Bench unit ${i + 1}`,
      companyId: 1,
      packetLatencyMs,
      relays: [
        { localNumber: 1, globalNumber: 'F1', description: 'Door' },
        { localNumber: 2, globalNumber: 'F2', description: 'Gate' },
      ],
    })),
  };
}

export const BENCH_CREDENTIALS = { username: 'bench', password: 'bench-secret' } as const;

/** The simulator's API call counts by route (`GET /__admin/calls`). */
export async function simulatorCalls(adminUrl: string): Promise<Record<string, number>> {
  const response = await fetch(`${adminUrl}calls`);
  return ((await response.json()) as { counts: Record<string, number> }).counts;
}
