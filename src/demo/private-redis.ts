import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { type EmbeddedRedis, findFreePort, RedisBinaryMissingError, redisBinaryExists } from '../redis';

/**
 * Starts a throw-away redis-server on a free loopback port, like `startEmbeddedRedis`, but in its own
 * process group: Ctrl-C in a terminal signals the whole foreground group, and a redis-server in it
 * would quit at once, before the worker had stopped using it. The demo stops it last, itself.
 * `forceStop()` sends the signal synchronously, for an exit that cannot wait.
 */
export async function startPrivateRedis(): Promise<EmbeddedRedis & { forceStop(): void }> {
  const binary = 'redis-server';
  if (!redisBinaryExists(binary)) throw new RedisBinaryMissingError(binary);
  let lastError: unknown;
  // Another process can take the port between findFreePort and the bind; try a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await findFreePort();
    const child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        // BullMQ loses jobs under any eviction policy.
        '--maxmemory-policy',
        'noeviction',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore', detached: true },
    );
    try {
      await waitUntilListening(child, port, 10_000);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => stopChild(child),
        forceStop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        },
      };
    } catch (error) {
      lastError = error;
      await stopChild(child);
    }
  }
  throw new Error(`could not start ${binary}: ${lastError instanceof Error ? lastError.message : lastError}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilListening(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
