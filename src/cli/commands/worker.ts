import type { Command } from 'commander';
import type * as WorkerModule from '../../worker';
import { type ConfigOption, cliConfig, cliLogger } from '../context';

/** Signals that end the worker: SIGTERM (orchestrators, `docker stop`) and SIGINT (Ctrl-C). */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Run the workers until SIGTERM/SIGINT: bookings, unit sync, reconcile (and its schedule), calendar feeds, and the HTTP server when http.enabled',
    )
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG)')
    .action(async (options: ConfigOption) => {
      const config = cliConfig(options, { required: true });
      const logger = cliLogger(config);
      // Loaded here, not at start-up: the HTTP server and dashboard (fastify, bull-board) are this verb's alone.
      const { startWorker }: typeof WorkerModule = require('../../worker');
      const worker = await startWorker({ config, logger });
      let stopping = false;
      for (const signal of STOP_SIGNALS) {
        process.on(signal, () => {
          if (stopping) {
            logger.warn({ signal }, 'second signal: exiting without waiting for in-flight jobs');
            process.exit(1);
          }
          stopping = true;
          logger.info({ signal }, 'stopping: finishing in-flight jobs');
          worker.close().then(
            () => process.exit(0),
            (error: unknown) => {
              logger.error({ err: error }, 'error while stopping');
              process.exit(1);
            },
          );
        });
      }
    });
}
