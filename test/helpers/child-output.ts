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

/**
 * Resolves with the child's exit code once it has exited AND its piped output has been read to the end
 * ('close', not 'exit': on a busy machine 'exit' can come before the last lines are read).
 */
export function closedOf(child: ChildProcess): Promise<number | null> {
  const streamsClosed = (child.stdout?.closed ?? true) && (child.stderr?.closed ?? true);
  if ((child.exitCode !== null || child.signalCode !== null) && streamsClosed) {
    return Promise.resolve(child.exitCode);
  }
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}
