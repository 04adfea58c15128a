import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { stringify } from 'yaml';

/** The built CLI (`npm run build`), as an operator runs flexysync. */
export const BUILT_CLI = path.resolve(__dirname, '../../dist/cli/main.js');
/** Linux reports process CPU times in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

export interface WorkerUsage {
  /** User + system CPU time of the worker process so far. */
  cpuMs: number;
  /** Peak resident set size (VmHWM). */
  peakRssBytes: number;
}

export interface WorkerProcess {
  /** Resolves once the worker consumes `queue` (its BullMQ worker is registered). */
  ready(queue: Queue): Promise<void>;
  usage(): Promise<WorkerUsage>;
  stop(): Promise<void>;
}

function readUsage(pid: number): WorkerUsage {
  // /proc/<pid>/stat: fields after the command name in parentheses; utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, peakRssBytes: peakKiB * 1024 };
}

/** Writes `config` to a YAML file in a fresh temporary folder, as an operator would; returns its path. */
export function writeConfigFile(config: Record<string, unknown>): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'flexysync-bench-')), 'flexysync.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/**
 * Starts `flexysync worker` from the build (dist/) in a process of its own, with `config` written to a
 * temporary YAML file, as an operator runs it.
 */
export async function startWorkerProcess(
  config: Record<string, unknown>,
  env: Record<string, string>,
): Promise<WorkerProcess> {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first`);
  const configFile = writeConfigFile(config);
  // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the worker (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, BUILT_CLI, 'worker'], {
    env: {
      ...process.env,
      ...env,
      FLEXYSYNC_CONFIG: configFile,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`the worker process exited early (code ${code}, signal ${signal})`)),
    );
  });
  exited.catch(() => {});
  const pid = child.pid as number;

  return {
    async ready(queue) {
      const deadline = Date.now() + 30_000;
      while ((await queue.getWorkersCount()) === 0) {
        if (Date.now() > deadline) throw new Error('the worker process did not start consuming in 30 s');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
      }
    },
    async usage() {
      return readUsage(pid);
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.removeAllListeners('exit');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
