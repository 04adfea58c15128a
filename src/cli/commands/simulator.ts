import type { Command } from 'commander';
import type * as SimulatorModule from '../../simulator';
import { parseNonNegativeInteger, parsePort } from '../parse-options';

interface SimulatorCommandOptions {
  host: string;
  port: number;
  seed?: string;
  statusCacheGuardMs: number;
}

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description(
      'Run the FlexyKey simulator: the vendor API in memory, with simulated units, for tests and demos',
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8710)
    .option('--seed <file>', 'seed JSON with companies, users, units and entries (default: the shipped seed)')
    .option(
      '--status-cache-guard-ms <ms>',
      'how long GET /UnitSync/Status keeps answering the same snapshot',
      parseNonNegativeInteger,
      2000,
    )
    .action(async (options: SimulatorCommandOptions) => {
      // Loaded here, not at start-up: other verbs never need the simulator's HTTP server.
      const { loadSeedFile, startSimulator }: typeof SimulatorModule = require('../../simulator');
      const running = await startSimulator({
        host: options.host,
        port: options.port,
        statusCacheGuardMs: options.statusCacheGuardMs,
        ...(options.seed ? { seed: loadSeedFile(options.seed) } : {}),
      });
      console.log(`FlexyKey simulator listening: API ${running.baseUrl}  admin ${running.adminUrl}`);
      console.log('Users and units come from the seed; see docs/simulator.md. Ctrl-C stops it.');
      const stop = async () => {
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
