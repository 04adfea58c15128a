import type { ChildProcess } from 'node:child_process';

export interface CapturedOutput {
  stdout(): string;
  stderr(): string;
  /** Both streams as they arrived. */
  all(): string;
}

/** Collects what a child process writes to its piped stdout and stderr. */
export function captureOutput(child: ChildProcess): CapturedOutput {
  let stdout = '';
  let stderr = '';
  let all = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    all += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    all += chunk.toString();
  });
  return { stdout: () => stdout, stderr: () => stderr, all: () => all };
}
