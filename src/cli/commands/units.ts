import type { Command } from 'commander';
import type { FlexysyncConfig } from '../../config';
import type { Unit } from '../../flexykey';
import {
  type ConfigOption,
  cliConfig,
  exitUsageErrorsWith2,
  operatorAction,
  operatorLogger,
} from '../context';
import { describeOutput, outputsOf, printJson, withSession } from './operator-session';

interface UnitsOptions extends ConfigOption {
  json?: boolean;
}

/** Which configured resources use a unit, as `flat-1 R1`, for the units table. */
function usesOf(config: FlexysyncConfig, unitId: number): string[] {
  return Object.entries(config.resources).flatMap(([key, resource]) =>
    (resource.units ?? []).filter((u) => u.unitId === unitId).map((u) => `${key} ${u.action}`),
  );
}

export function registerUnitsCommand(program: Command): void {
  exitUsageErrorsWith2(program.command('units'))
    .description("List the FlexyKey account's units with their IO (GET /Units)")
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG; else the environment)')
    .option('--json', 'print the units as JSON (as FlexyKey describes them)')
    .addHelpText(
      'after',
      '\nOutputs (F1, F2, X1–X64) are what `flexysync open --output` takes.\nExit codes: 0 listed, 1 error (credentials, FlexyKey unreachable), 2 usage.',
    )
    .action(
      operatorAction(async (options: UnitsOptions) => {
        const config = cliConfig(options, { required: false });
        await withSession(config, operatorLogger(config), { needRedis: false }, async (session) => {
          const units = [...(await session.flexykey.units.list())].sort((a, b) => a.unitId - b.unitId);
          if (options.json) {
            printJson(units.map((unit) => ({ ...unit, configuredAs: usesOf(config, unit.unitId) })));
            return;
          }
          if (units.length === 0) {
            console.log(`no units visible to FlexyKey user '${config.flexykey.username}'`);
            return;
          }
          console.log('unit      online   serial             name');
          for (const unit of units) printUnit(unit, usesOf(config, unit.unitId));
        });
      }),
    );
}

function printUnit(unit: Unit, uses: readonly string[]): void {
  const online = unit.online == null ? '?' : unit.online ? 'yes' : 'NO';
  console.log(
    `${String(unit.unitId).padEnd(9)} ${online.padEnd(8)} ${(unit.serialNumber ?? '-').padEnd(18)} ${unit.name ?? ''}`,
  );
  if (unit.online === false && unit.lastSeenIso)
    console.log(`          offline, last seen ${unit.lastSeenIso}`);
  if (uses.length > 0) console.log(`          configured: ${uses.join(', ')}`);
  const io = [
    ...outputsOf(unit).map((o) => ({ kind: 'relay', board: o.board, point: o })),
    ...unit.inputs.map((point) => ({ kind: 'input', board: 'main', point })),
    ...unit.expansions.flatMap((e) =>
      e.inputs.map((point) => ({
        kind: 'input',
        board: `${e.type ?? 'expansion'} ${e.number ?? ''}`.trim(),
        point,
      })),
    ),
  ];
  for (const { kind, board, point } of io) {
    const local = point.localNumber == null ? '' : ` #${point.localNumber}`;
    console.log(`          ${kind.padEnd(6)} ${describeOutput(point).padEnd(28)} ${board}${local}`);
  }
}
