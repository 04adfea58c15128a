import { Queue } from 'bullmq';
import type { Command } from 'commander';
import {
  approveHeldCancellations,
  FEED_POLL_JOB,
  FEEDS_QUEUE,
  feedPollJobOptions,
  readFeedStatus,
} from '../../adapters';
import { type ConfigOption, cliConfig, connectCliRedis, EXIT } from '../context';

export function registerFeedsCommand(program: Command): void {
  const feeds = program
    .command('feeds')
    .description('Calendar feeds: health, held-back cancellations, polling');

  feeds
    .command('list')
    .description('Each feed: last good fetch, last error, missing bookings, held-back cancellations')
    .option(
      '-c, --config <file>',
      'configuration file (default: $FLEXYSYNC_CONFIG; else REDIS_URL and defaults)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 listed, 1 error (an invalid configuration, Redis unreachable), 2 usage.',
    )
    .action(async (options: ConfigOption & { json?: boolean }) => {
      const config = cliConfig(options, { required: false });
      const redis = await connectCliRedis(config.redis.url);
      try {
        const status = await readFeedStatus(redis, config.redis.prefix);
        if (options.json) {
          console.log(JSON.stringify(status, null, 2));
          return;
        }
        if (status.length === 0) console.log('no feed has been polled yet');
        for (const feed of status) {
          console.log(
            `${feed.source}: last good fetch ${feed.lastSuccessAt ?? 'never'}, last outcome ${feed.lastOutcome ?? '-'}, ${feed.consecutiveFailures} failure(s) in a row, ${feed.snapshotBookings} booking(s), ${feed.missing} missing`,
          );
          if (feed.lastError) console.log(`  last error (${feed.lastErrorAt}): ${feed.lastError}`);
          for (const held of feed.held ?? []) {
            console.log(
              `  held back: ${held.wouldCancel} of ${held.futureBookings} future booking(s) of ${held.resource} would be cancelled (approve: flexysync feeds approve ${feed.source})`,
            );
          }
        }
      } finally {
        await redis.quit().catch(() => {});
      }
    });

  feeds
    .command('approve')
    .description('Let the next poll of a feed apply the cancellations its safety rules held back')
    .argument('<source>', 'the feed (source name)')
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG)')
    .addHelpText(
      'after',
      '\nExit codes: 0 approved, 1 nothing is held back or an error (an invalid configuration, Redis unreachable), 2 usage (<source> is not a source in the configuration).',
    )
    .action(async (source: string, options: ConfigOption) => {
      // As for poll: a name that is not in the configuration is a mistake of the caller, found
      // before Redis is asked (a typo must not read as "nothing is held back").
      const config = cliConfig(options, { required: true });
      if (!Object.hasOwn(config.sources ?? {}, source)) {
        console.error(`${source}: not a source in the configuration`);
        process.exitCode = EXIT.usage;
        return;
      }
      const redis = await connectCliRedis(config.redis.url);
      try {
        const [status] = await readFeedStatus(redis, config.redis.prefix, { sources: [source] });
        if (!status || (status.held ?? []).length === 0) {
          console.error(`${source}: nothing is held back`);
          process.exitCode = EXIT.failure;
          return;
        }
        await approveHeldCancellations(redis, config.redis.prefix, source);
        console.log(`${source}: the held-back cancellations apply at the next poll`);
      } finally {
        await redis.quit().catch(() => {});
      }
    });

  feeds
    .command('poll')
    .description('Poll a feed now (a worker picks the job up)')
    .argument('<source>', 'the feed (source name)')
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG)')
    .addHelpText(
      'after',
      '\nExit codes: 0 queued, 1 error (an invalid configuration, Redis unreachable), 2 usage (<source> is not a source in the configuration).',
    )
    .action(async (source: string, options: ConfigOption) => {
      const config = cliConfig(options, { required: true });
      if (!Object.hasOwn(config.sources ?? {}, source)) {
        console.error(`${source}: not a source in the configuration`);
        process.exitCode = EXIT.usage;
        return;
      }
      const redis = await connectCliRedis(config.redis.url);
      const queue = new Queue(FEEDS_QUEUE, { connection: redis, prefix: config.redis.prefix });
      try {
        const job = await queue.add(FEED_POLL_JOB, { source }, feedPollJobOptions);
        console.log(`${source}: poll queued (job ${job.id})`);
      } finally {
        await queue.close();
        await redis.quit().catch(() => {});
      }
    });
}
