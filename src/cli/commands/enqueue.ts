import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createBookingsQueue, enqueueBookings } from '../../jobs';
import { type ConfigOption, cliConfig, connectCliRedis, EXIT } from '../context';

interface EnqueueOptions extends ConfigOption {
  json?: boolean;
}

function readInput(file: string): string {
  return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
}

export function registerEnqueueCommand(program: Command): void {
  program
    .command('enqueue')
    .description('Validate BookingEvents (one object or an array, JSON) and add them to the bookings queue')
    .argument('<file>', "JSON file, or '-' for standard input")
    .option(
      '-c, --config <file>',
      'configuration file (default: $FLEXYSYNC_CONFIG; else REDIS_URL and defaults)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 all enqueued, 3 some rejected, 1 none enqueued (an empty array included) or unreadable input.',
    )
    .action(async (file: string, options: EnqueueOptions) => {
      let events: unknown[];
      try {
        const parsed: unknown = JSON.parse(readInput(file));
        events = Array.isArray(parsed) ? parsed : [parsed];
      } catch (error) {
        console.error(
          `cannot read events from ${file === '-' ? 'standard input' : file}: ${(error as Error).message}`,
        );
        process.exitCode = EXIT.failure;
        return;
      }
      if (events.length === 0) {
        // Most likely the wrong file, or an export that found nothing: say so rather than report success.
        console.error(
          `no events in ${file === '-' ? 'standard input' : file}: expected a BookingEvent object or a non-empty array of them; nothing enqueued`,
        );
        process.exitCode = EXIT.failure;
        return;
      }
      const config = cliConfig(options, { required: false });
      const redis = await connectCliRedis(config.redis.url);
      const queue = createBookingsQueue(redis, config.redis.prefix);
      try {
        const result = await enqueueBookings(queue, events);
        if (options.json) {
          console.log(JSON.stringify(result, null, 2));
        } else {
          for (const item of result.accepted)
            console.log(`enqueued  #${item.index}  ${item.key}  job ${item.jobId}`);
          for (const item of result.rejected) {
            console.log(`rejected  #${item.index}`);
            for (const error of item.errors) console.log(`          ${error}`);
          }
          console.log(`${result.accepted.length} enqueued, ${result.rejected.length} rejected`);
        }
        process.exitCode =
          result.rejected.length === 0 ? EXIT.ok : result.accepted.length > 0 ? EXIT.partial : EXIT.failure;
      } finally {
        await queue.close();
        await redis.quit().catch(() => redis.disconnect());
      }
    });
}
