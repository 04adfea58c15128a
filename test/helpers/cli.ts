import { spawn } from 'node:child_process';
import path from 'node:path';
import { captureOutput } from './child-output';

export const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'src/cli/main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Variables of a developer's shell that would change what the CLI under test does. */
const INHERITED_OUT = [
  'REDIS_URL',
  'FLEXYSYNC_CONFIG',
  'FLEXYKEY_BASE_URL',
  'FLEXYKEY_USERNAME',
  'FLEXYKEY_PASSWORD',
  'FLEXYKEY_PASSWORD_FILE',
  'FLEXYSYNC_INTAKE_TOKEN',
  'FLEXYSYNC_INTAKE_TOKEN_FILE',
  'LOG_LEVEL',
];

export interface RunCliOptions {
  env?: Record<string, string>;
  /** Written to the command's standard input. @default '' */
  input?: string;
  /** @default 20_000 */
  timeoutMs?: number;
}

/**
 * Runs `flexysync <args>` as a real process (through tsx), asynchronously — a simulator or worker in the
 * test's own process must keep answering meanwhile — and kills it past the deadline.
 */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of INHERITED_OUT) delete env[name];
  Object.assign(env, options.env);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  child.stdin.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flexysync ${args.join(' ')} did not exit within ${timeoutMs} ms\n${output.all()}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: output.stdout(), stderr: output.stderr() });
    });
  });
}
