import { type Command, InvalidArgumentError } from 'commander';
import { SOURCE_PATTERN } from '../../domain';
import { collectBookingStatus, collectStatus } from '../../status';
import { type ConfigOption, cliConfig, connectCliRedis, EXIT } from '../context';

/**
 * A booking key, `<source>/<externalId>` (the externalId may itself hold '/'): anything else is a
 * usage error (exit 2) found before Redis is asked, not a booking that happens to be unknown (exit 1).
 */
function parseBookingKey(value: string): string {
  const slash = value.indexOf('/');
  const source = value.slice(0, slash);
  if (slash < 1 || slash === value.length - 1 || !SOURCE_PATTERN.test(source)) {
    throw new InvalidArgumentError(
      'expected <source>/<externalId>, e.g. pms/R-1042 (the source as in the BookingEvent, then its externalId)',
    );
  }
  return value;
}

interface StatusOptions extends ConfigOption {
  booking?: string;
  json?: boolean;
  showPin?: boolean;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("Show queue depths and each unit's sync state, or one booking's access state")
    .option(
      '-c, --config <file>',
      'configuration file (default: $FLEXYSYNC_CONFIG; else REDIS_URL and defaults)',
    )
    .option('--booking <source/externalId>', 'show one booking, e.g. pms/R-1042', parseBookingKey)
    .option('--show-pin', 'show the PIN instead of masking it')
    .option('--json', 'print JSON')
    .action(async (options: StatusOptions) => {
      const config = cliConfig(options, { required: false });
      const redis = await connectCliRedis(config.redis.url);
      try {
        if (options.booking) {
          const status = await collectBookingStatus(redis, config.redis.prefix, options.booking, {
            showPin: options.showPin === true,
          });
          if (options.json) console.log(JSON.stringify(status, null, 2));
          else printBooking(status);
          if (!status.record) process.exitCode = EXIT.failure;
          return;
        }
        const report = await collectStatus(redis, config.redis.prefix);
        if (options.json) {
          console.log(JSON.stringify(report, null, 2));
          return;
        }
        console.log(`prefix ${report.prefix}\n`);
        console.log('queue        waiting  active  delayed  failed  completed');
        for (const [name, c] of Object.entries(report.queues)) {
          console.log(
            `${name.padEnd(12)} ${String(c.waiting + c.prioritized).padStart(7)} ${String(c.active).padStart(7)} ${String(c.delayed).padStart(8)} ${String(c.failed).padStart(7)} ${String(c.completed).padStart(10)}`,
          );
        }
        console.log('\nunit     state         last sync                 failures  pushes  awaiting');
        for (const u of report.units) {
          const state = u.unreachable
            ? 'UNREACHABLE'
            : u.syncing
              ? 'syncing'
              : (u.lastResult ?? 'never synced');
          console.log(
            `${String(u.unitId).padEnd(8)} ${state.padEnd(13)} ${(u.lastSyncIso ?? '-').padEnd(25)} ${String(u.failures).padStart(8)} ${String(u.pushes).padStart(7)} ${String(u.awaiting).padStart(9)}`,
          );
          if (u.unreachable && u.lastError) console.log(`         last error: ${u.lastError}`);
        }
        if (report.feeds.length > 0) {
          console.log(
            '\nfeed                 last good fetch           outcome      failures  missing  held',
          );
          for (const f of report.feeds) {
            const held = (f.held ?? []).reduce((sum, h) => sum + h.wouldCancel, 0);
            console.log(
              `${f.source.padEnd(20)} ${(f.lastSuccessAt ?? 'never').padEnd(25)} ${(f.lastOutcome ?? '-').padEnd(12)} ${String(f.consecutiveFailures).padStart(8)} ${String(f.missing).padStart(8)} ${String(held).padStart(5)}`,
            );
            if (f.lastError) console.log(`                     last error: ${f.lastError}`);
          }
        }
      } finally {
        await redis.quit().catch(() => redis.disconnect());
      }
    });
}

function printBooking(status: Awaited<ReturnType<typeof collectBookingStatus>>): void {
  if (!status.record) {
    console.log(`${status.key}: no record (never applied, or unknown)`);
    return;
  }
  const r = status.record;
  console.log(`${status.key}  ${r.status}  resource ${r.resource}  revision ${r.revision ?? '-'}`);
  console.log(`window  ${r.validFromIso ?? '-'} → ${r.validToIso ?? '-'}   PIN ${r.pin ?? '-'}`);
  for (const e of r.entries) {
    const waiting = status.awaitingUnits.includes(e.unitId) ? 'waiting for sync' : 'on the unit';
    console.log(
      `  unit ${e.unitId}  ${e.action}  idNumber ${e.idNumber}  entry ${e.entryId ?? '?'}  ${waiting}`,
    );
  }
  const last = status.events.at(-1);
  if (last) console.log(`last event: ${last.state} at ${last.at}${last.reason ? ` (${last.reason})` : ''}`);
}
