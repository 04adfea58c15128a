import { type Command, InvalidArgumentError } from 'commander';
import { DateTime } from 'luxon';
import { parseIsoWhen } from '../../domain';
import { formatReconcileReport } from '../../reconcile';
// The services alone, not the worker module's index: that one brings the HTTP server and dashboard
// (fastify, bull-board), which reconcile never uses and which only weigh on a large plan's memory.
import { createServices } from '../../worker/services';
import { type ConfigOption, cliConfig, cliLogger, EXIT } from '../context';
import { parsePositiveInteger } from '../parse-options';

interface ReconcileCommandOptions extends ConfigOption {
  dryRun?: boolean;
  json?: boolean;
  now?: DateTime;
  force?: boolean;
  unit?: number[];
}

const NOW_RULE =
  'an ISO 8601 date-time with an offset or Z, e.g. 2026-12-04T18:00:00+01:00 or 2026-12-04T17:00:00Z';

/**
 * `--now`, read while commander parses the options: before the configuration, the credentials or
 * Redis, and a bad value is a usage error (exit 2). The offset is required, as in BookingEvent's
 * `start`/`end`: without one, luxon would read the time in the server's zone, and the same command
 * would plan another moment on another machine (DESIGN: never the server's local zone).
 */
function parseNow(value: string): DateTime {
  const when = parseIsoWhen(value);
  if (when === undefined || when.dateOnly) {
    const noOffset = parseIsoWhen(`${value}Z`) !== undefined;
    throw new InvalidArgumentError(
      noOffset
        ? `expected ${NOW_RULE}; this one has no offset, and the server's time zone must not decide`
        : `expected ${NOW_RULE}`,
    );
  }
  // parseIsoWhen accepts what luxon reads (its tests use luxon as the oracle); setZone keeps the offset.
  const at = DateTime.fromISO(value, { setZone: true });
  if (!at.isValid) throw new InvalidArgumentError(`expected ${NOW_RULE}`);
  return at;
}

export function registerReconcileCommands(program: Command): void {
  program
    .command('reconcile')
    .description(
      "Compare every unit's entries with the records and repair drift (--dry-run only prints the plan)",
    )
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG)')
    .option('--dry-run', 'print the plan per unit and change nothing')
    .option('--json', 'print the plan (and what was done) as JSON')
    .option(
      '--now <iso>',
      'with --dry-run: plan as of another moment (next Friday evening?): an ISO 8601 date-time with an offset or Z, e.g. 2026-12-04T18:00:00+01:00; one without is refused, never read in the server zone',
      parseNow,
    )
    .option('--force', 'delete orphaned entries even past the blast-radius guard')
    .option('--unit <unitId...>', 'only these units', (value: string, previous: number[] = []) => [
      ...previous,
      parsePositiveInteger(value),
    ])
    .addHelpText(
      'after',
      '\nExit codes: 0 in step (or applied), 3 the dry run found changes or a unit was refused, 1 error, 2 usage (an unknown option, a bad --now or --unit, --now without --dry-run).',
    )
    .action(async (options: ReconcileCommandOptions, command: Command) => {
      if (options.now && !options.dryRun) {
        // Applied as of another moment, a plan would delete today's and next week's guests as expired.
        command.error('error: --now only plans: use it with --dry-run (a reconcile applies as of now)', {
          exitCode: EXIT.usage,
        });
      }
      const config = cliConfig(options, { required: true });
      const services = createServices({ config, logger: cliLogger(config) });
      try {
        const report = await services.reconciler.reconcile({
          dryRun: options.dryRun === true,
          ...(options.now ? { now: options.now } : {}),
          force: options.force === true,
          ...(options.unit ? { unitIds: options.unit } : {}),
        });
        console.log(options.json ? JSON.stringify(report, null, 2) : formatReconcileReport(report));
        const changes =
          report.unsettled.length > 0 || report.units.some((unit) => unit.drifts.length > 0 || unit.refused);
        process.exitCode =
          (options.dryRun && changes) || report.units.some((u) => u.refused) ? EXIT.partial : EXIT.ok;
      } finally {
        await services.close();
      }
    });

  program
    .command('resync')
    .description(
      'Send every entry of a unit again (after a unit was replaced): marks all its data changed, then syncs',
    )
    .requiredOption('--unit <unitId>', 'the unit', parsePositiveInteger)
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG)')
    .action(async (options: ConfigOption & { unit: number }) => {
      const config = cliConfig(options, { required: true });
      const services = createServices({ config, logger: cliLogger(config) });
      try {
        // FLEXYKEY: Tools/AllUnitDataSyncState changes server-side state only; the push is the sync job's.
        const result = await services.flexykey.tools.allUnitDataSyncState({
          unitId: options.unit,
          unitSyncState: 'Changed',
        });
        await services.requestSync(options.unit, 'resync: every entry marked changed by an operator');
        console.log(
          `unit ${options.unit}: ${result.affected ?? 'all'} row(s) marked changed; a sync is queued (watch: flexysync status)`,
        );
      } finally {
        await services.close();
      }
    });
}
