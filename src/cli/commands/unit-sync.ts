import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { unitSyncJobOptions } from '../../jobs';
import type { UnitState } from '../../store';
import type { Services } from '../../worker';
import {
  type ConfigOption,
  cliConfig,
  EXIT,
  exitUsageErrorsWith2,
  operatorAction,
  operatorLogger,
} from '../context';
import { parseIntervalMs, parseUnitId, parseWaitSeconds } from '../parse-options';
import { lookUpUnit, printJson, withSession } from './operator-session';

interface SyncOptions extends ConfigOption {
  unit: number;
  wait?: boolean;
  timeout: number;
  interval: number;
  json?: boolean;
}

interface AbortOptions extends ConfigOption {
  unit: number;
  json?: boolean;
}

/** Results of the unit-sync job that mean the unit has what the server holds. */
const SUCCESS = new Set(['completed', 'no-changes']);

export function registerUnitSyncCommands(program: Command): void {
  exitUsageErrorsWith2(program.command('sync'))
    .description(
      'Queue a sync of one unit (its changed entries are pushed by a worker); --wait follows it to the end',
    )
    .requiredOption('--unit <unitId>', 'the unit', parseUnitId)
    .option('--wait', "wait until the unit's sync completes or fails, showing its progress")
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long', parseWaitSeconds, 300)
    .option('--interval <ms>', 'with --wait: how often to read the unit state', parseIntervalMs, 500)
    .option(
      '-c, --config <file>',
      'configuration file (default: $FLEXYSYNC_CONFIG; else REDIS_URL and defaults)',
    )
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      `
The sync runs in a flexysync worker (never two at once per unit); without a running worker it waits
in the queue. Progress goes to stderr, the outcome to stdout.

Exit codes: 0 queued (with --wait: synced), 1 the sync failed or an error (unknown unit, another
company's unit, Redis unreachable), 3 with --wait: not finished within --timeout (it goes on), 2 usage.`,
    )
    .action(operatorAction(runSync));

  exitUsageErrorsWith2(program.command('abort'))
    .description("Abort a unit's running sync and clear its pending packets (POST /UnitSync/Abort)")
    .requiredOption('--unit <unitId>', 'the unit', parseUnitId)
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG; else the environment)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Rows not yet on the unit stay Changed and go with the next sync. A worker that was running this sync
sees it aborted, backs off and pushes again; stop the workers to stop syncing the unit for good.

Exit codes: 0 aborted or nothing to abort, 1 error (unknown unit, another company's unit), 2 usage.`,
    )
    .action(
      operatorAction(async (options: AbortOptions) => {
        const config = cliConfig(options, { required: false });
        await withSession(config, operatorLogger(config), { needRedis: false }, async (session) => {
          const unit = await lookUpUnit(session, options.unit);
          const result = await session.flexykey.unitSync.abort({ unitId: unit.unitId });
          if (options.json) {
            printJson(result);
            return;
          }
          if (result.status === 'Aborted') {
            const cleared =
              result.clearedPackets == null ? '' : `, ${result.clearedPackets} pending packet(s) cleared`;
            console.log(`unit ${unit.unitId}: sync aborted${cleared}`);
          } else if (result.status === 'NothingToAbort') {
            console.log(`unit ${unit.unitId}: nothing to abort (no sync running or pending)`);
          } else {
            console.log(`unit ${unit.unitId}: ${result.status}`);
          }
        });
      }),
    );
}

async function runSync(options: SyncOptions): Promise<void> {
  const config = cliConfig(options, { required: false });
  await withSession(config, operatorLogger(config), { needRedis: true }, async (session) => {
    const services = session.services as Services;
    const unit = await lookUpUnit(session, options.unit);
    const unitId = unit.unitId;
    const before = await services.units.state(unitId);
    await services.requestSync(unitId, 'requested by an operator (flexysync sync)');
    const workers = await services.unitSyncQueue.getWorkersCount().catch(() => undefined);
    if (!options.json) console.log(`unit ${unitId}: sync queued`);
    if (workers === 0) {
      console.error(
        `warning: no flexysync worker is connected (prefix ${services.prefix}): the sync waits until one starts`,
      );
    }
    if (unit.online === false) {
      console.error(`warning: unit ${unitId} is offline: the sync makes progress only when it is back`);
    }
    if (!options.wait) {
      if (options.json) printJson({ unitId, queued: true });
      return;
    }
    const outcome = await waitForSync(services, unitId, before, options);
    const finished = outcome !== undefined;
    const ok = finished && SUCCESS.has(outcome.lastResult ?? '');
    if (options.json) {
      printJson({
        unitId,
        queued: true,
        finished,
        ok,
        state: outcome ?? (await services.units.state(unitId)),
      });
    } else if (!finished) {
      console.log(
        `unit ${unitId}: not finished after ${options.timeout} s; it goes on (watch: flexysync status)`,
      );
    } else if (ok) {
      console.log(`unit ${unitId}: synced (${outcome.lastResult}) at ${outcome.lastSyncIso}`);
    } else {
      console.log(
        `unit ${unitId}: sync ${outcome.lastResult}${outcome.lastError ? `: ${outcome.lastError}` : ''}${outcome.unreachable ? ' — the unit is reported unreachable' : ''}; the worker retries it`,
      );
    }
    process.exitCode = !finished ? EXIT.partial : ok ? EXIT.ok : EXIT.failure;
  });
}

/**
 * Follows the unit's state until the sync asked for has an outcome. A sync that was already running
 * when we asked finishes first, while ours waits in the queue; ours is over when the unit's last
 * sync changed and no further sync of the unit is queued (the queue's per-unit deduplication key is
 * gone), or as soon as a sync ends in failure. Undefined when `timeout` passes first.
 */
async function waitForSync(
  services: Services,
  unitId: number,
  before: UnitState,
  options: SyncOptions,
): Promise<UnitState | undefined> {
  const deduplicationId = unitSyncJobOptions(unitId).deduplication.id;
  const deadline = Date.now() + options.timeout * 1_000;
  const tty = process.stderr.isTTY === true;
  let lastLine = '';
  const progress = (line: string) => {
    if (line === lastLine) return;
    lastLine = line;
    if (tty) process.stderr.write(`\r${line.padEnd(60)}`);
    else console.error(line);
  };
  try {
    while (Date.now() < deadline) {
      const state = await services.units.state(unitId);
      if (state.lastSyncIso !== undefined && state.lastSyncIso !== before.lastSyncIso) {
        if (!SUCCESS.has(state.lastResult ?? '')) return state;
        const pending = await services.unitSyncQueue.getDeduplicationJobId(deduplicationId);
        if (!pending) return state;
      }
      progress(
        state.syncing
          ? `unit ${unitId}: syncing ${Math.round(state.progressPercent ?? 0)}%`
          : `unit ${unitId}: waiting for its turn`,
      );
      await sleep(Math.min(options.interval, Math.max(0, deadline - Date.now())));
    }
    return undefined;
  } finally {
    if (tty && lastLine !== '') process.stderr.write('\n');
  }
}
