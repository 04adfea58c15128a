import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { captureOutput, closedOf } from './child-output';

const CLI = path.resolve(__dirname, '../../src/cli/main.ts');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
}

/** Writes the configuration to a temporary YAML file, as an operator would. */
export function writeConfigFile(configInput: Record<string, unknown>): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'flexysync-test-')), 'flexysync.yaml');
  writeFileSync(file, stringify(configInput));
  return file;
}

/** Starts `flexysync worker` as a real child process (through tsx), logging at `logLevel`. */
export function spawnWorker(
  configFile: string,
  env: Record<string, string>,
  { logLevel = 'warn' }: { logLevel?: string } = {},
): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker'], {
    env: { ...process.env, ...env, FLEXYSYNC_CONFIG: configFile, LOG_LEVEL: logLevel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, output: captureOutput(child).all };
}

/** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). Resolves with the exit code. */
export function stopWorker(worker: WorkerProcess, graceMs = 15_000): Promise<number | null> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return closedOf(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill('SIGTERM');
  return closedOf(child).finally(() => clearTimeout(timer));
}
