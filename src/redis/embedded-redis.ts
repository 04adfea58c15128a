import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

export interface EmbeddedRedis {
  url: string;
  port: number;
  /** The redis-server process (tests pause it with SIGSTOP to model a network blip). */
  pid: number;
  stop(): Promise<void>;
  /** Sends the stop signal synchronously, for an exit that cannot wait (e.g. a process 'exit' handler). */
  forceStop(): void;
}

export interface EmbeddedRedisOptions {
  /** The redis-server executable. @default 'redis-server' (from PATH) */
  binary?: string;
  /** How long to wait for the server to accept connections. @default 10_000 */
  startTimeoutMs?: number;
  /**
   * Start it in a process group of its own. Ctrl-C in a terminal signals the whole foreground group, and
   * a redis-server in it would quit at once, before the program using it had stopped; the program then
   * stops it last, itself. @default false
   */
  ownProcessGroup?: boolean;
}

/** Thrown when no redis-server binary can be found, with what to do about it. */
export class RedisBinaryMissingError extends Error {
  constructor(binary: string) {
    super(
      `No REDIS_URL was given and '${binary}' was not found on PATH. ` +
        'Install it (Debian: apt-get install -y redis-server) or set REDIS_URL to a running Redis.',
    );
    this.name = 'RedisBinaryMissingError';
  }
}

export function redisBinaryExists(binary = 'redis-server'): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
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

/**
 * Starts a private, throw-away redis-server on a free loopback port: nothing is saved to disk, and
 * `noeviction` is set because BullMQ loses jobs under any eviction policy. Used by the tests and the
 * demo so they never depend on, or disturb, a shared Redis.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const binary = options.binary ?? 'redis-server';
  if (!redisBinaryExists(binary)) throw new RedisBinaryMissingError(binary);
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;

  // Another process can take the port between findFreePort and the bind; retry a few times.
  let lastError: unknown;
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
        '--maxmemory-policy',
        'noeviction',
        '--protected-mode',
        'yes',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore', detached: options.ownProcessGroup === true },
    );
    try {
      await waitUntilListening(child, port, startTimeoutMs);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        pid: child.pid as number,
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
