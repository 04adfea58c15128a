import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type * as DemoModule from '../../demo';
import type * as RedisModule from '../../redis';
import { parsePositiveInteger } from '../parse-options';

interface DemoCommandOptions {
  once?: boolean;
  showPins?: boolean;
  timeout: number;
  logFile?: string;
}

/** Signals that stop the demo: Ctrl-C (SIGINT) and SIGTERM. A second one exits at once. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole system on this machine: a private Redis, the FlexyKey simulator, a calendar feed, pushed bookings and the worker, and watch the codes reach the doors',
    )
    .option('--once', 'exit when every booking is synced or revoked (exit 1 if one failed or time ran out)')
    .option('--show-pins', 'show PINs instead of masking them')
    .option('--timeout <seconds>', 'with --once: give up after this long', parsePositiveInteger, 90)
    .option('--log-file <file>', "where the worker's log goes (default: a file in the temp directory)")
    .addHelpText(
      'after',
      '\nNeeds only Node and redis-server on PATH (or REDIS_URL: the demo then keeps to its own key prefix).\nFLEXYKEY_* variables are ignored: the demo only ever talks to its own simulator.',
    )
    .action(async (options: DemoCommandOptions) => {
      // Loaded here, not at start-up: the demo's stack (simulator, worker, HTTP) is this verb's alone.
      const { DemoRedisUnreachableError, runDemo }: typeof DemoModule = require('../../demo');
      const { RedisBinaryMissingError }: typeof RedisModule = require('../../redis');
      const logFile = options.logFile ?? path.join(tmpdir(), `flexysync-demo-${process.pid}.log`);
      const stop = new AbortController();
      let forceStop = () => {};
      for (const signal of STOP_SIGNALS) {
        process.on(signal, () => {
          if (stop.signal.aborted) {
            forceStop();
            process.exit(130);
          }
          stop.abort();
        });
      }
      try {
        process.exitCode = await runDemo({
          once: options.once === true,
          showPins: options.showPins === true,
          timeoutMs: options.timeout * 1000,
          logFile,
          signal: stop.signal,
          onForceStop: (fn) => {
            forceStop = fn;
          },
          ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
          ...(process.env.LOG_LEVEL ? { logLevel: process.env.LOG_LEVEL } : {}),
        });
      } catch (error) {
        if (error instanceof RedisBinaryMissingError || error instanceof DemoRedisUnreachableError) {
          console.error(`flexysync demo: ${error.message}`);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        for (const signal of STOP_SIGNALS) process.removeAllListeners(signal);
      }
    });
}
